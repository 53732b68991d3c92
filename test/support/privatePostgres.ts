/**
 * A PostgreSQL cluster of the test's own, for tests that restart the server or cut its
 * connections (the shared TEST_DATABASE_URL server must never be restarted: other test files
 * use it at the same time). Made the way .ci/run makes CI's: initdb into a fresh directory,
 * fsync off, listening on 127.0.0.1 only; as the postgres user when running as root, because
 * postgres refuses to run as root.
 *
 * Without the binaries the tests that need it are skipped with that reason, unless REQUIRE_E2E=1
 * or CI is set (CI installs them), which turns missing binaries into a failure.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './network.ts';

export const POSTGRES_BIN_DIR = process.env.POSTGRES_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
const binary = (name: string) => path.join(POSTGRES_BIN_DIR, name);

/** Why a private cluster cannot be made here, or undefined when it can. */
export const privatePostgresMissing: string | undefined = ['initdb', 'pg_ctl', 'postgres'].every((name) =>
  existsSync(binary(name)),
)
  ? undefined
  : `no PostgreSQL binaries (initdb, pg_ctl, postgres) in ${POSTGRES_BIN_DIR}; install Debian's postgresql package or set POSTGRES_BIN_DIR`;

if (privatePostgresMissing && (process.env.REQUIRE_E2E === '1' || process.env.CI))
  throw new Error(`REQUIRE_E2E/CI is set but a private PostgreSQL cluster cannot be made: ${privatePostgresMissing}`);

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;

export interface PrivatePostgres {
  /** postgres:// URL of the `postgres` database (superuser, trust auth), to create databases and terminate backends. */
  adminUrl: string;
  /** URL of a database named `name` on this cluster (create it with createDatabase). */
  urlFor(name: string): string;
  createDatabase(name: string): Promise<string>;
  /** Stops the server: `fast` ends every connection at once, as a restart or a failover does. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** pg_terminate_backend on every connection to database `name`; resolves with how many were ended. */
  terminateConnections(name: string): Promise<number>;
  /** Stops the server and removes its directory. Safe to call twice. */
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  if (privatePostgresMissing) throw new Error(privatePostgresMissing);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-private-pg-'));
  const dataDir = path.join(root, 'data');
  const port = await freePort();
  const asOwner = (file: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', file, ...args]) : run(file, args);
  if (asRoot) await run('chown', ['postgres:postgres', root]);
  await asOwner(binary('initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale']);

  const serverOptions = `-c listen_addresses=127.0.0.1 -p ${port} -k ${root} -c fsync=off -c max_connections=40`;
  const pgCtl = (args: string[]) => asOwner(binary('pg_ctl'), ['-D', dataDir, ...args]);
  const start = async () => {
    await pgCtl(['-l', path.join(root, 'server.log'), '-w', '-t', '60', '-o', serverOptions, 'start']);
  };
  const stop = async () => {
    await pgCtl(['-m', 'fast', '-w', '-t', '60', 'stop']);
  };
  await start();

  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const withAdmin = async <T>(use: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end();
    }
  };
  const urlFor = (name: string) => `postgres://postgres@127.0.0.1:${port}/${name}`;
  let destroyed = false;
  return {
    adminUrl,
    urlFor,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
      await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
      return urlFor(name);
    },
    stop,
    start,
    terminateConnections: (name) =>
      withAdmin(async (client) => {
        const result = await client.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        );
        return result.rowCount ?? 0;
      }),
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await pgCtl(['-m', 'immediate', '-w', '-t', '30', 'stop']).catch(() => undefined);
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}
