/**
 * Migrations 0001–0011: members, sessions, videos and votes, stored files with their variants,
 * the outbox and lost files, direct uploads, the upload ledger, 64-bit byte counts, resumable
 * video uploads, checksums and backup state, and counted storage requests — the schema of one
 * instance. Never edited once released: a change is a new migration (migrations.ts).
 */
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const singleInstanceMigrations: Record<string, Migration> = {
  '0001_users_files_sessions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('stored_files')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('owner_id', 'integer')
        .addColumn('folder', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull().unique())
        .addColumn('location', 'text', (c) => c.notNull().check(sql`location in ('s3', 'local')`))
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('bytes', 'integer', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('users')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('avatar_image_id', 'integer', (c) => c.references('stored_files.id').onDelete('set null'))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      // Usernames are unique regardless of case, so "Alice" cannot impersonate "alice".
      await sql`create unique index users_username_lower on users (lower(username))`.execute(db);
      await db.schema.createIndex('stored_files_owner').on('stored_files').column('owner_id').execute();
      await db.schema
        .createTable('sessions')
        .addColumn('sid', 'text', (c) => c.primaryKey())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute();
    },
  },
  '0002_videos_votes': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('videos')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('owner_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('source_url', 'text')
        .addColumn('video_file_id', 'integer', (c) => c.references('stored_files.id'))
        .addColumn('thumbnail_file_id', 'integer', (c) => c.references('stored_files.id').onDelete('set null'))
        .addColumn('vote_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addCheckConstraint('videos_link_or_file', sql`(source_url is null) <> (video_file_id is null)`)
        .execute();
      // The home page's order: most votes, then newest; the index serves it without a sort.
      await sql`create index videos_ranking on videos (vote_count desc, created_at desc, id desc)`.execute(db);
      await db.schema.createIndex('videos_owner').on('videos').column('owner_id').execute();
      await db.schema
        .createTable('votes')
        .addColumn('video_id', 'integer', (c) => c.notNull().references('videos.id').onDelete('cascade'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('votes_pk', ['video_id', 'user_id'])
        .execute();
      await db.schema.createIndex('votes_user').on('votes').column('user_id').execute();
    },
  },
  '0003_image_variants': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('stored_files')
        .addColumn('width', 'integer')
        .addColumn('height', 'integer')
        .addColumn('placeholder', 'text')
        .addColumn('spec_version', 'integer')
        .addColumn('variants', 'jsonb')
        .execute();
      // Keys are now content hashes: the same bytes uploaded twice share one object, so a key
      // may appear in several rows, and an object is deleted only when no row mentions it.
      await db.schema.alterTable('stored_files').dropConstraint('stored_files_key_key').execute();
      await db.schema.createIndex('stored_files_key').on('stored_files').column('key').execute();
      await sql`create index stored_files_variants on stored_files using gin (variants jsonb_path_ops)`.execute(db);
      await db.schema.createIndex('stored_files_spec_version').on('stored_files').column('spec_version').execute();
    },
  },
  '0004_outbox_and_lost_files': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('stored_files').addColumn('lost_at', 'timestamptz').execute();
      await db.schema
        .createTable('pending_copies')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('file_id', 'integer', (c) => c.notNull().references('stored_files.id').onDelete('cascade'))
        .addColumn('target', 'text', (c) => c.notNull().check(sql`target in ('primary', 'backup')`))
        .addColumn('state', 'text', (c) => c.notNull().defaultTo('copy').check(sql`state in ('copy', 'cleanup')`))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addUniqueConstraint('pending_copies_file_target', ['file_id', 'target'])
        .execute();
      await db.schema.createIndex('pending_copies_due').on('pending_copies').columns(['next_attempt_at']).execute();
    },
  },
  '0005_direct_uploads': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('direct_uploads')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('avatar', 'thumbnail')`))
        .addColumn('video_id', 'integer', (c) => c.references('videos.id').onDelete('cascade'))
        .addColumn('max_bytes', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('finalized_at', 'timestamptz')
        .execute();
    },
  },
  '0006_direct_video_uploads': {
    async up(db: Kysely<unknown>) {
      // Videos go to S3 as multipart uploads: the row keeps the upload id, the part size the
      // parts were planned with, and the form's text, so completing needs only the parts.
      await sql`alter table direct_uploads drop constraint direct_uploads_purpose_check`.execute(db);
      await sql`alter table direct_uploads add constraint direct_uploads_purpose_check check (purpose in ('avatar', 'thumbnail', 'video'))`.execute(
        db,
      );
      await db.schema
        .alterTable('direct_uploads')
        .addColumn('upload_id', 'text')
        .addColumn('part_bytes', 'integer')
        .addColumn('title', 'text')
        .addColumn('description', 'text')
        .execute();
    },
  },
  '0007_upload_ledger': {
    async up(db: Kysely<unknown>) {
      // One row per stored upload, kept apart from stored_files so that replacing or deleting
      // an image does not hand its bytes back to the member's daily quota.
      await db.schema
        .createTable('upload_ledger')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('member_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('bytes', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createIndex('upload_ledger_member_time')
        .on('upload_ledger')
        .columns(['member_id', 'created_at'])
        .execute();
    },
  },
  '0008_bigint_byte_counts': {
    async up(db: Kysely<unknown>) {
      // A video may be up to MAX_VIDEO_SIZE_MB = 5000 MB, past integer's 2 GiB. Rows come back
      // as checked numbers (int8.ts). The tables are small; the rewrite takes moments.
      await sql`alter table stored_files alter column bytes type bigint`.execute(db);
      await sql`alter table direct_uploads alter column max_bytes type bigint, alter column part_bytes type bigint`.execute(
        db,
      );
    },
  },
  '0009_resumable_video_uploads': {
    async up(db: Kysely<unknown>) {
      // What identifies the member's file, so an interrupted upload resumes only with the same
      // one: its name, last-modified time (ms) and the SHA-256 of its first MiB (size is max_bytes).
      await db.schema
        .alterTable('direct_uploads')
        .addColumn('file_name', 'text')
        .addColumn('file_last_modified', 'bigint')
        .addColumn('file_head_sha256', 'text')
        .execute();
    },
  },
  '0010_checksums_and_backup_state': {
    async up(db: Kysely<unknown>) {
      // checksum: the full-object CRC64NVME S3 computed when the object at `key` was written
      // (variants carry their own in the variants JSON); null for files written before, or
      // still on local disk. backed_up_at: when the backup bucket last held a verified copy of
      // every object of the file; null means "owed", which is what the backfill looks for.
      await db.schema
        .alterTable('stored_files')
        .addColumn('checksum', 'text')
        .addColumn('backed_up_at', 'timestamptz')
        .execute();
    },
  },
  '0011_storage_requests': {
    async up(db: Kysely<unknown>) {
      // The S3 requests the app made, per month, bucket and billing class (storage:usage).
      await db.schema
        .createTable('storage_requests')
        .addColumn('month', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull().check(sql`target in ('primary', 'backup')`))
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('put', 'get', 'list', 'delete')`))
        .addColumn('count', 'bigint', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('storage_requests_pk', ['month', 'target', 'kind'])
        .execute();
    },
  },
};
