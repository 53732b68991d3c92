/**
 * The soak run's own PostgreSQL cluster, so it can be restarted without touching anybody
 * else's: initdb into a fresh directory under /tmp, listening on 127.0.0.1 only, removed at
 * the end. postgres refuses to run as root, so as root (CI) the cluster belongs to the
 * postgres system user and every command runs through `runuser -u postgres --`, as .ci/run
 * makes its own cluster.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../test/support/network.ts';

const run = promisify(execFile);
const START_TIMEOUT_SECONDS = 60;

export interface PostgresCluster {
  url: string;
  version: string;
  /** Fast shutdown: what an operator's restart or a managed failover does to connected clients. */
  pause(): Promise<void>;
  /** Starts the server again on the same port and data; resolves once it accepts connections. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** The newest /usr/lib/postgresql/<major>/bin, or undefined when PostgreSQL is not installed. */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  const majors = (() => {
    try {
      return readdirSync(root).filter((name) => /^\d+$/.test(name));
    } catch {
      return [];
    }
  })();
  const newest = majors.sort((a, b) => Number(a) - Number(b)).at(-1);
  return newest ? path.join(root, newest, 'bin') : undefined;
}

export async function startPostgresCluster(bin: string): Promise<PostgresCluster> {
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vv-soak-postgres-'));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const pg = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args]) : run(path.join(bin, tool), args);
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  const stop = async (mode: 'fast' | 'immediate') => {
    await pg('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '30', 'stop']);
  };
  const start = async () => {
    // fsync=off: the cluster is deleted after the run, so durability only costs time.
    const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off`;
    await pg('pg_ctl', [
      '-D',
      dataDir,
      '-l',
      path.join(dir, 'server.log'),
      '-w',
      '-t',
      String(START_TIMEOUT_SECONDS),
      '-o',
      options,
      'start',
    ]);
  };
  try {
    await pg('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale']);
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const { stdout: version } = await run(path.join(bin, 'postgres'), ['--version']);
  // A run that dies without stop() must not leave a server running on the machine.
  const killOnExit = () => {
    const args = [path.join(bin, 'pg_ctl'), '-D', dataDir, '-m', 'immediate', 'stop'];
    try {
      if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', ...args], { stdio: 'ignore' });
      else execFileSync(args[0]!, args.slice(1), { stdio: 'ignore' });
    } catch {
      // Already stopped.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    version: version.trim(),
    pause: () => stop('fast'),
    resume: start,
    async stop() {
      process.removeListener('exit', killOnExit);
      await stop('immediate').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
