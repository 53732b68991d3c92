/**
 * Migrations 0012 onwards, for several instances and a worker (#11): the job queue, shared
 * rate limits, the change feed that keeps each instance's read model fresh, the outage store
 * every instance shares, and the state of a direct upload its job settles. New migrations go
 * at the end of this list. Never edited once released.
 */
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const scaleOutMigrations: Record<string, Migration> = {
  '0012_jobs': {
    async up(db: Kysely<unknown>) {
      // The job queue (src/jobs/): a row per job, claimed with FOR UPDATE SKIP LOCKED under a
      // lease; the row's own delete, fenced on locked_by, is the commit of the job's effect.
      await sql`
        create table jobs (
          id            bigserial primary key,
          kind          text not null,
          payload       jsonb not null default '{}'::jsonb,
          dedupe_key    text unique,
          run_at        timestamptz not null default now(),
          attempts      integer not null default 0,
          max_attempts  integer not null default 8,
          locked_by     text,
          locked_until  timestamptz,
          last_error    text,
          failed_at     timestamptz,
          created_at    timestamptz not null default now()
        )`.execute(db);
      await sql`create index jobs_due on jobs (run_at, id) where failed_at is null`.execute(db);
      // Liveness of each worker, for /healthz ("is the worker running?").
      await sql`
        create table workers (
          id         text primary key,
          mode       text not null check (mode in ('inline', 'external')),
          started_at timestamptz not null default now(),
          seen_at    timestamptz not null default now()
        )`.execute(db);
      // Periodic jobs: one row per schedule; whoever moves next_run_at forward adds the job,
      // so there is exactly one job per period however many workers tick.
      await sql`
        create table job_schedules (
          name        text primary key,
          next_run_at timestamptz not null
        )`.execute(db);
      await sql`
        create function notify_jobs() returns trigger language plpgsql as $$
        begin perform pg_notify('jobs', new.kind); return null; end $$`.execute(db);
      await sql`create trigger jobs_notify after insert on jobs for each row execute function notify_jobs()`.execute(
        db,
      );
      // The resync loop wakes at once for a new fallback file instead of at its next interval.
      await sql`
        create function notify_outbox() returns trigger language plpgsql as $$
        begin perform pg_notify('outbox', ''); return null; end $$`.execute(db);
      await sql`create trigger pending_copies_notify after insert on pending_copies for each statement execute function notify_outbox()`.execute(
        db,
      );
    },
  },
  '0013_rate_limits': {
    async up(db: Kysely<unknown>) {
      // express-rate-limit counts shared by every instance (src/web/databaseRateLimitStore.ts).
      await sql`create table rate_limit_hits (key text primary key, hits integer not null, reset_at timestamptz not null)`.execute(
        db,
      );
      await sql`create index rate_limit_hits_reset_at on rate_limit_hits (reset_at)`.execute(db);
    },
  },
  '0014_read_model_notify': {
    async up(db: Kysely<unknown>) {
      // Every write to a table a cached read model shows tells every instance (src/db/changeFeed.ts).
      // Triggers, not app code, so the worker's writes and raw SQL are heard too.
      await sql`
        create function notify_read_models() returns trigger language plpgsql as $$
        begin perform pg_notify('read_models', tg_table_name); return null; end $$`.execute(db);
      for (const table of ['videos', 'votes', 'users', 'stored_files'])
        await sql`create trigger ${sql.raw(`${table}_notify`)} after insert or update or delete on ${sql.table(table)} for each statement execute function notify_read_models()`.execute(
          db,
        );
    },
  },
  '0015_fallback_blobs': {
    async up(db: Kysely<unknown>) {
      // The outage store every instance shares (src/files/fallbackBlobs.ts): 1 MiB chunk rows,
      // stored uncompressed (media is compressed already), bounded by one counter row.
      await sql`alter table stored_files drop constraint stored_files_location_check`.execute(db);
      await sql`alter table stored_files add constraint stored_files_location_check check (location in ('s3', 'local', 'db'))`.execute(
        db,
      );
      await sql`
        create table fallback_blobs (
          key          text primary key,
          content_type text not null,
          bytes        bigint not null default 0,
          sha256       text,
          complete     boolean not null default false,
          created_at   timestamptz not null default now()
        )`.execute(db);
      await sql`
        create table fallback_chunks (
          key  text not null references fallback_blobs (key) on delete cascade,
          n    integer not null,
          data bytea not null,
          primary key (key, n)
        )`.execute(db);
      await sql`alter table fallback_chunks alter column data set storage external`.execute(db);
      await sql`
        create table fallback_usage (
          only_row boolean primary key default true check (only_row),
          bytes    bigint not null default 0
        )`.execute(db);
      await sql`insert into fallback_usage default values`.execute(db);
    },
  },
  '0016_direct_upload_state': {
    async up(db: Kysely<unknown>) {
      // A direct image upload is processed by a worker job after finalize answers: the row says
      // how far it got, why it was refused, and which stored file it became (uploads/processDirectImage.ts).
      await sql`
        alter table direct_uploads
          add column state text not null default 'signed'
            check (state in ('signed', 'processing', 'stored', 'refused')),
          add column refusal text,
          add column stored_file_id integer references stored_files (id) on delete set null,
          add column settled_at timestamptz`.execute(db);
      // The pages' "processing" notice looks up a member's latest finalized image uploads.
      await sql`create index direct_uploads_member_finalized on direct_uploads (user_id, finalized_at) where finalized_at is not null`.execute(
        db,
      );
    },
  },
};
