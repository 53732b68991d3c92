/**
 * The README's first command beside an operator command, on the embedded database: `npm start`
 * (PGlite, S3 through a proxy that can be switched off) takes an avatar while S3 is down, S3
 * comes back, and the operator runs `npm run storage:sync` as the manual says. Before #11 the
 * command opened the same PGlite directory, moved the file and deleted the local copy behind
 * the app's back, and the app then marked the avatar lost. Now the command refuses with a
 * sentence, the app's own resync moves the avatar, and nothing is marked lost.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { publicReadPolicy } from '../support/bucketPolicy.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { createBucket, makeS3Client } from '../support/s3Server.ts';
import { HttpMember, type ServerProcess, startServerProcess } from '../support/serverProcess.ts';
import { listObjects } from '../support/storedState.ts';
import { startSwitchableProxy, type SwitchableProxy } from '../support/switchableProxy.ts';
import { HEALTHZ_AUTH, TEST_HEALTHZ_TOKEN } from '../support/testApp.ts';

const s3 = inject('s3');
const PROJECT_DIR = path.resolve(import.meta.dirname, '..', '..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function imageFilesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile() && /\.(webp|jpe?g|png|avif)$/.test(entry.name)).map((e) => e.name);
}

describe(`npm start on the embedded database and npm run storage:sync beside it (S3: ${s3.kind})`, () => {
  let proxy: SwitchableProxy;
  let workDir: string;
  let bucket: string;
  let app: ServerProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-embedded-cli-'));
    bucket = `embcli-${randomBytes(5).toString('hex')}`;
    await createBucket(s3, bucket);
    if (s3.kind === 'minio')
      await makeS3Client(s3).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicReadPolicy(bucket) }));
    proxy = await startSwitchableProxy(s3.endpoint);
    env = {
      DATABASE_URL: '',
      USE_CLOUD_STORAGE: 'true',
      AWS_BUCKET_NAME: bucket,
      AWS_REGION: s3.region,
      AWS_ENDPOINT_URL: proxy.endpoint,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      RESYNC_INTERVAL_SECONDS: '1',
      DATA_DIR: path.join(workDir, 'data'),
      LOCAL_STORAGE_DIR: path.join(workDir, 'static'),
      UPLOAD_TEMP_DIR: path.join(workDir, 'tmp'),
      HEALTHZ_TOKEN: TEST_HEALTHZ_TOKEN,
    };
    app = await startServerProcess(env, { shellCommand: 'npm start' });
  }, 120_000);
  afterAll(async () => {
    await app?.stop('SIGKILL').catch(() => undefined);
    await proxy?.close();
    await fs.rm(workDir, { recursive: true, force: true });
  });

  it('the command refuses while the app runs; the app moves the avatar to S3 itself and nothing is lost', async () => {
    const member = new HttpMember(app.origin);
    await member.signUp('embedded');
    proxy.down();
    expect(await member.uploadAvatar(await makeImage('png', 240, 240, '#4060a0'))).toBe(303);
    const onDisk = await imageFilesUnder(path.join(workDir, 'static'));
    expect(onDisk.length).toBeGreaterThan(0);
    // /healthz reads its figures at most every 3 s: wait until it counts the avatar as waiting.
    const pending = () =>
      fetch(`${app.origin}/healthz`, { headers: HEALTHZ_AUTH }).then(
        async (response) => (await response.json()) as { storage: { pending: { count: number }; lost: number } },
      );
    for (let i = 0; (await pending()).storage.pending.count === 0; i++) {
      if (i > 40) throw new Error('/healthz never counted the avatar that fell back');
      await sleep(250);
    }
    proxy.up();

    const sync = spawn('npm', ['run', '--silent', 'storage:sync'], {
      cwd: PROJECT_DIR,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    sync.stderr?.on('data', (chunk: Buffer) => (stderr += chunk));
    const [code] = (await once(sync, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /storage:sync: the app \(pid \d+\) has the embedded database in .+ open, and only one process may\. The running app moves waiting images to S3 by itself/,
    );

    const avatarOnProfile = async () =>
      /<img[^>]+src="([^"]+avatars\/[^"]+)"/.exec(await (await member.request('/profile')).text())?.[1];
    const started = Date.now();
    let avatarUrl = await avatarOnProfile();
    let health = await pending();
    while (!avatarUrl?.includes(`/${bucket}/avatars/`) || health.storage.pending.count > 0) {
      // Up to the circuit breaker's cool-down after the outage, plus /healthz's 3 s.
      if (Date.now() - started > 60_000)
        throw new Error(`still waiting for S3: ${avatarUrl} ${JSON.stringify(health.storage)}`);
      await sleep(250);
      [avatarUrl, health] = await Promise.all([avatarOnProfile(), pending()]);
    }
    expect(health.storage.lost).toBe(0);
    expect((await fetch(avatarUrl!)).status).toBe(200);
    expect((await listObjects(s3, bucket)).filter((key) => key.startsWith('avatars/')).length).toBeGreaterThan(0);
    expect(await imageFilesUnder(path.join(workDir, 'static'))).toEqual([]);
  }, 120_000);
});
