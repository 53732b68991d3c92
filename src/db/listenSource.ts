/**
 * LISTEN on the app's database, for the change feed (changeFeed.ts). On PostgreSQL it is a
 * dedicated pg.Client, not one from the pool (a pooled connection goes back to the pool and
 * stops hearing); when it drops it reports so and reconnects with back-off 1 → 30 s. On the
 * embedded database it is PGlite's own in-process listen, which cannot drop.
 */
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export interface ListenHandlers {
  notify(channel: string, payload: string): void;
  /** Listening (again): notifications sent while disconnected were missed. */
  connected(): void;
  disconnected(error: unknown): void;
}

export interface ListenSource {
  start(channels: readonly string[], handlers: ListenHandlers): Promise<void>;
  close(): Promise<void>;
}

const quoted = (channel: string) => `"${channel.replaceAll('"', '""')}"`;

export function pgliteListenSource(client: PGlite): ListenSource {
  const unsubscribes: Array<() => Promise<void>> = [];
  return {
    async start(channels, handlers) {
      for (const channel of channels)
        unsubscribes.push(await client.listen(channel, (payload) => handlers.notify(channel, payload)));
      handlers.connected();
    },
    async close() {
      if (client.closed) return;
      for (const unsubscribe of unsubscribes.splice(0)) await unsubscribe().catch(() => undefined);
    },
  };
}

export function postgresListenSource(
  connectionString: string,
  { firstRetryMs = 1_000, maxRetryMs = 30_000 } = {},
): ListenSource {
  let closed = false;
  let client: pg.Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = firstRetryMs;

  async function connect(channels: readonly string[], handlers: ListenHandlers): Promise<void> {
    const next = new pg.Client({ connectionString, keepAlive: true, connectionTimeoutMillis: 10_000 });
    let lost = false;
    const onLost = (error: unknown) => {
      if (lost || closed) return;
      lost = true;
      client = undefined;
      next.end().catch(() => undefined);
      handlers.disconnected(error);
      retryTimer = setTimeout(() => void connect(channels, handlers).catch(() => undefined), retryMs);
      retryTimer.unref();
      retryMs = Math.min(retryMs * 2, maxRetryMs);
    };
    next.on('notification', (message) => handlers.notify(message.channel, message.payload ?? ''));
    next.on('error', onLost);
    next.on('end', () => onLost(new Error('the listening connection ended')));
    try {
      await next.connect();
      for (const channel of channels) await next.query(`LISTEN ${quoted(channel)}`);
    } catch (error) {
      onLost(error);
      throw error;
    }
    if (closed) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    retryMs = firstRetryMs;
    handlers.connected();
  }

  return {
    async start(channels, handlers) {
      // A first connection that fails is retried in the background like any later drop.
      await connect(channels, handlers).catch(() => undefined);
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      await client?.end().catch(() => undefined);
      client = undefined;
    },
  };
}
