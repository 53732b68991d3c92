/**
 * Each worker's liveness row (`workers`), so /healthz can tell "jobs are waiting because the
 * worker is busy" from "no worker is running". Renewed every 10 s; deleted on a clean stop.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { sql } from 'kysely';
import type { JobDatabase } from './jobQueue.ts';

export type WorkerMode = 'inline' | 'external';

export interface WorkerSeen {
  id: string;
  mode: WorkerMode;
  lastSeenSeconds: number;
}

const RENEW_EVERY_MS = 10_000;

export function newWorkerId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export function createWorkerRegistry({ db, id, mode }: { db: JobDatabase; id: string; mode: WorkerMode }) {
  let timer: NodeJS.Timeout | undefined;
  const renew = () =>
    sql`insert into workers (id, mode) values (${id}, ${mode})
        on conflict (id) do update set seen_at = now()`.execute(db);
  return {
    async start(onError: (error: unknown) => void): Promise<void> {
      await renew();
      timer = setInterval(() => void renew().catch(onError), RENEW_EVERY_MS);
      timer.unref();
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await sql`delete from workers where id = ${id}`.execute(db);
    },
  };
}

export async function listWorkers(db: JobDatabase): Promise<WorkerSeen[]> {
  const { rows } = await sql<{ id: string; mode: WorkerMode; seen: number }>`
    select id, mode, extract(epoch from now() - seen_at)::float8 as seen from workers order by seen_at desc`.execute(
    db,
  );
  return rows.map((row) => ({ id: row.id, mode: row.mode, lastSeenSeconds: Math.max(0, Math.round(row.seen)) }));
}
