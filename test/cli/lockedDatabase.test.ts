/**
 * Operator commands beside a running app on the embedded database: the app holds the PGlite
 * directory, so each command refuses with one sentence that says what the app does by itself
 * and how to run the command anyway — exit 1, and nothing opened behind the app's back.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const HOLDER = path.join(import.meta.dirname, '..', 'db', 'fixtures', 'holdEmbeddedDatabase.ts');

/** S3 settings that pass the commands' own checks; nothing is sent, the database refusal comes first. */
const S3_ENV = {
  USE_CLOUD_STORAGE: 'true',
  AWS_BUCKET_NAME: 'never-reached',
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_ACCESS_KEY_ID: 'not-a-key',
  AWS_SECRET_ACCESS_KEY: 'not-a-secret-either',
};

async function run(script: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

describe('operator commands while the app has the embedded database open', () => {
  let dataDir: string;
  let holder: ChildProcess;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'videovote-cli-lock-'));
    // openDatabase puts PGlite under <DATA_DIR>/pglite, as the app does.
    holder = spawn(process.execPath, [HOLDER, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      holder.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      holder.once('exit', () => reject(new Error('the holder could not open the database')));
    });
  }, 90_000);
  afterAll(async () => {
    holder?.kill('SIGTERM');
    if (holder && holder.exitCode === null) await once(holder, 'exit');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('storage:sync says the app moves images itself, and how to run a pass by hand', async () => {
    const { code, stderr } = await run('src/cli/storageSync.ts', {
      ...S3_ENV,
      DATA_DIR: dataDir,
      LOCAL_STORAGE_DIR: dataDir,
    });
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      `storage:sync: the app (pid ${holder.pid}) has the embedded database in ${dataDir} open, and only one process may. The running app moves waiting images to S3 by itself, every RESYNC_INTERVAL_SECONDS and as soon as S3 answers again; /healthz shows how many are waiting. To run a pass by hand, stop the app (Ctrl-C) and run \`npm run storage:sync\` again.`,
    );
  }, 60_000);

  it('storage:migrate says to stop the app first', async () => {
    const { code, stderr } = await run('src/cli/storageMigrate.ts', {
      ...S3_ENV,
      DATA_DIR: dataDir,
      LOCAL_STORAGE_DIR: dataDir,
    });
    expect(code).toBe(1);
    expect(stderr).toContain(
      `storage:migrate: the app (pid ${holder.pid}) has the embedded database in ${dataDir} open, and only one process may. Stop the app (Ctrl-C) and run \`npm run storage:migrate\` again.`,
    );
  }, 60_000);
});
