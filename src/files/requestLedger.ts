/**
 * The month's S3 requests, recorded as they happen: counted in memory and added to
 * storage_requests every few seconds (and at shutdown), one upsert per kind — so counting costs
 * the database a handful of statements a minute, not one per image request.
 */
import { sql } from 'kysely';
import type { AppDatabase } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { RequestKind } from '../storage/requestCounting.ts';

export type RequestTarget = 'primary' | 'backup';

export interface RequestLedger {
  count(target: RequestTarget, kind: RequestKind): void;
  /** Writes what was counted so far. Never throws: a failed write keeps the counts for the next one. */
  flush(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

/** "2026-12": requests are billed per calendar month (UTC). */
export function monthOf(date: Date): string {
  return date.toISOString().slice(0, 7);
}

export function createRequestLedger(deps: {
  db: AppDatabase;
  logger: Logger;
  flushEveryMs?: number;
  now?: () => Date;
}): RequestLedger {
  const now = deps.now ?? (() => new Date());
  let pending = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;

  const flush = async () => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      for (const [slot, count] of batch) {
        const [month = '', target = '', kind = ''] = slot.split('|');
        await deps.db
          .insertInto('storage_requests')
          .values({ month, target: target as RequestTarget, kind: kind as RequestKind, count: String(count) })
          .onConflict((oc) =>
            oc
              .columns(['month', 'target', 'kind'])
              .doUpdateSet({ count: sql`storage_requests.count + excluded.count` }),
          )
          .execute();
      }
    } catch (error) {
      for (const [slot, count] of batch) pending.set(slot, (pending.get(slot) ?? 0) + count);
      deps.logger.warn({ err: error }, 'Could not record S3 request counts; they are kept for the next try');
    }
  };

  return {
    count(target, kind) {
      const slot = `${monthOf(now())}|${target}|${kind}`;
      pending.set(slot, (pending.get(slot) ?? 0) + 1);
    },
    flush,
    start() {
      timer = setInterval(() => void flush(), deps.flushEveryMs ?? 10_000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await flush();
    },
  };
}
