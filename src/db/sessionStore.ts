/**
 * express-session store backed by the app database, so sessions survive a restart and are
 * shared by every instance behind Render's load balancer (a memory store would log members
 * out on each deploy and on every other request once there are two instances).
 */
import session from 'express-session';
import { sql } from 'kysely';
import type { AppDatabase } from './database.ts';
import { isDatabaseUnavailable } from './databaseUnavailable.ts';

const DEFAULT_TTL_MS = 14 * 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 15 * 60 * 1000;

type Callback<T = void> = (error?: unknown, value?: T) => void;

export class DatabaseSessionStore extends session.Store {
  private readonly pruneTimer: NodeJS.Timeout;

  private readonly db: AppDatabase;

  constructor(db: AppDatabase) {
    super();
    this.db = db;
    this.pruneTimer = setInterval(() => void this.pruneExpired().catch(() => undefined), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    this.db
      .selectFrom('sessions')
      .select('data')
      .where('sid', '=', sid)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst()
      .then((row) => callback(undefined, row ? (JSON.parse(row.data) as session.SessionData) : null), callback);
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    const expiresAt = expiryOf(data);
    const json = JSON.stringify(data);
    this.db
      .insertInto('sessions')
      .values({ sid, data: json, expires_at: expiresAt })
      .onConflict((oc) => oc.column('sid').doUpdateSet({ data: json, expires_at: expiresAt }))
      .execute()
      .then(
        () => callback?.(),
        (error: unknown) => callback?.(error),
      );
  }

  override destroy(sid: string, callback?: Callback): void {
    this.db
      .deleteFrom('sessions')
      .where('sid', '=', sid)
      .execute()
      .then(
        () => callback?.(),
        (error: unknown) => callback?.(error),
      );
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    this.db
      .updateTable('sessions')
      .set({ expires_at: expiryOf(data) })
      .where('sid', '=', sid)
      .execute()
      .then(
        () => callback?.(),
        // express-session touches after the answer is written, and hands an error to next() —
        // which runs the error handlers a second time for an answer already sent. A touch lost
        // to a database outage only leaves the old expiry, renewed on the next request.
        (error: unknown) => callback?.(isDatabaseUnavailable(error) ? undefined : error),
      );
  }

  async pruneExpired(): Promise<void> {
    await this.db.deleteFrom('sessions').where('expires_at', '<=', sql<Date>`now()`).execute();
  }

  close(): void {
    clearInterval(this.pruneTimer);
  }
}

function expiryOf(data: session.SessionData): Date {
  const expires = data.cookie?.expires;
  return expires ? new Date(expires) : new Date(Date.now() + DEFAULT_TTL_MS);
}
