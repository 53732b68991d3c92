/**
 * The one sentence an operator reads when PostgreSQL cannot be reached at start-up. The errors
 * are real ones from `pg` against local sockets (a closed port, a server that never answers, a
 * name that cannot resolve), not hand-built objects.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { explainConnectionError } from '../../src/db/explainConnectionError.ts';
import { freePort } from '../support/network.ts';

async function connectError(connectionString: string, connectionTimeoutMillis = 5_000): Promise<unknown> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis });
  try {
    await client.connect();
  } catch (error) {
    return error;
  } finally {
    await client.end().catch(() => undefined);
  }
  throw new Error(`connected to ${connectionString}, expected a failure`);
}

describe('explainConnectionError', () => {
  it('names host, port and ECONNREFUSED for a closed port, without the password', async () => {
    const url = `postgres://vv:hunter2secret@127.0.0.1:${await freePort()}/videovote`;
    const sentence = explainConnectionError(await connectError(url), url);
    expect(sentence).toMatch(
      /^Cannot reach the database at 127\.0\.0\.1:\d+: the connection was refused \(ECONNREFUSED\)/,
    );
    expect(sentence).not.toContain('hunter2secret');
    expect(sentence?.split('\n')).toHaveLength(1);
  });

  it('reads ECONNREFUSED inside an AggregateError (localhost tried on ::1 and 127.0.0.1)', async () => {
    const url = `postgres://vv@localhost:${await freePort()}/videovote`;
    expect(explainConnectionError(await connectError(url), url)).toMatch(
      /^Cannot reach the database at localhost:\d+: the connection was refused \(ECONNREFUSED\)/,
    );
  });

  it('says the host name does not resolve (ENOTFOUND)', async () => {
    const url = 'postgres://vv@no-such-host.invalid/videovote';
    expect(explainConnectionError(await connectError(url), url)).toBe(
      'Cannot reach the database at no-such-host.invalid:5432: the host name does not resolve (ENOTFOUND) — check the host in DATABASE_URL.',
    );
  });

  it('says the connection timed out when the server accepts but never answers', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `postgres://vv@127.0.0.1:${(silent.address() as AddressInfo).port}/videovote`;
      expect(explainConnectionError(await connectError(url, 300), url)).toMatch(
        /^Cannot reach the database at 127\.0\.0\.1:\d+: the connection timed out/,
      );
    } finally {
      silent.close();
    }
  });

  it('leaves errors that are not about connecting alone, so they keep their stack', () => {
    expect(explainConnectionError(new TypeError('undefined is not a function'), 'postgres://h/db')).toBeUndefined();
  });
});
