/**
 * Idle memory of the app as production starts it: `node src/server.ts` with NODE_ENV=production
 * in its own process (so /proc/<pid> is the server's), local-disk storage, the embedded database
 * unless --database-url is given. Prints the time from spawn to the first 200 from /healthz, then
 * VmRSS after 20 page views and a short settle, so the figures in the README can be reproduced:
 *
 *   node bench/idleMemory.ts                       # embedded PGlite under a scratch DATA_DIR
 *   node bench/idleMemory.ts --database-url postgres://…   # PostgreSQL
 *
 * The environment is built from scratch (plus PATH and HOME; DOTENV_CONFIG_PATH points at
 * nothing), so neither the caller's variables nor a local .env change what is measured.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { freePort } from '../test/support/network.ts';
import { readMemory } from './support/procMemory.ts';

const PAGE_VIEWS = 20;
const PAGES = ['/', '/signup', '/login', '/'];
const SETTLE_MS = 3_000;
const READY_TIMEOUT_MS = 120_000;
const MIB = 1024 * 1024;

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    /** Extra variables for the app, e.g. --env USE_CLOUD_STORAGE=true --env AWS_BUCKET_NAME=… */
    env: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('Usage: node bench/idleMemory.ts [--database-url postgres://…] [--env NAME=value …]');
  process.exit(0);
}

const projectDir = path.resolve(import.meta.dirname, '..');
const workDir = await mkdtemp(path.join(os.tmpdir(), 'videovote-idle-'));
const port = await freePort();
const origin = `http://127.0.0.1:${port}`;
const databaseUrl = values['database-url'];
const env: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  DOTENV_CONFIG_PATH: path.join(workDir, 'no-such.env'),
  NODE_ENV: 'production',
  PORT: String(port),
  HOST: '127.0.0.1',
  SESSION_SECRET: randomBytes(30).toString('base64url'),
  DATA_DIR: path.join(workDir, 'data'),
  LOCAL_STORAGE_DIR: path.join(workDir, 'static'),
  UPLOAD_TEMP_DIR: path.join(workDir, 'upload-tmp'),
  LOG_LEVEL: 'warn',
  ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { ALLOW_EMBEDDED_DATABASE: 'true' }),
  ...Object.fromEntries(
    (values.env ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  ),
};

// Two starts on one DATA_DIR: the first creates the database (initdb), the second is every
// later start (a restart, a deploy on a persistent disk).
try {
  for (const phase of ['first start', 'restart']) await measureOneStart(phase);
} finally {
  await rm(workDir, { recursive: true, force: true });
}

async function measureOneStart(phase: string): Promise<void> {
  const started = performance.now();
  const child = spawn(process.execPath, ['src/server.ts'], { cwd: projectDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  try {
    const readyMs = await waitForHealthz(started, child, () => output);
    for (let view = 0; view < PAGE_VIEWS; view++) {
      const page = PAGES[view % PAGES.length] ?? '/';
      const response = await fetch(origin + page);
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`GET ${page} answered ${response.status}`);
    }
    await sleep(SETTLE_MS);
    const { rssBytes, peakBytes } = readMemory(child.pid ?? -1);
    const storage = env.USE_CLOUD_STORAGE === 'true' ? 'S3' : 'local disk';
    console.log(
      `${databaseUrl ? 'postgresql' : 'embedded'}, ${storage}, ${phase}: first /healthz ${readyMs.toFixed(0)} ms; ` +
        `idle RSS after ${PAGE_VIEWS} page views ${(rssBytes / MIB).toFixed(1)} MiB (peak ${(peakBytes / MIB).toFixed(1)} MiB)`,
    );
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
  }
}

async function waitForHealthz(started: number, child: ChildProcess, output: () => string): Promise<number> {
  while (performance.now() - started < READY_TIMEOUT_MS) {
    if (child.exitCode !== null) throw new Error(`The app exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${origin}/healthz`);
      await response.arrayBuffer();
      if (response.ok) return performance.now() - started;
    } catch {
      // Not listening yet.
    }
    await sleep(10);
  }
  throw new Error(`No answer from /healthz within ${READY_TIMEOUT_MS} ms:\n${output()}`);
}
