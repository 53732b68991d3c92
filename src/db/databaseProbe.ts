/**
 * Whether the database answers, for /healthz: one `select 1`, given at most `timeoutMs` — a
 * health check must answer even when the database is black-holed and the pool would wait its
 * whole connection timeout. Resolves with the sentence to report, or undefined when it answered.
 */
import { sql } from 'kysely';
import type { AppDatabase } from './database.ts';
import { within } from '../within.ts';

export type DatabaseProbe = () => Promise<string | undefined>;

export function createDatabaseProbe(db: AppDatabase, { timeoutMs = 2_000 } = {}): DatabaseProbe {
  const unreachable = (cause: string) =>
    `The database is unreachable (${cause}): pages and uploads are answered with 503 until it is back.`;
  return () =>
    within(
      sql`select 1`.execute(db).then(
        () => undefined,
        (error: unknown) => unreachable(describe(error)),
      ),
      timeoutMs,
      unreachable(`no answer within ${timeoutMs / 1000} s`),
    );
}

/** The code and message of what failed, without a stack; AggregateErrors (one attempt per address) by their first attempt. */
function describe(error: unknown): string {
  const first = error instanceof AggregateError && error.errors.length > 0 ? error.errors[0] : error;
  const code = (first as { code?: unknown } | undefined)?.code;
  const message = first instanceof Error ? first.message : String(first);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}
