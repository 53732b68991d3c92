/**
 * Two app instances (real processes, `node src/server.ts`) and the worker (`node src/worker.ts`)
 * on one PostgreSQL database and one bucket, each with its own disk, S3 reached through a proxy that can be switched off:
 * a session made on A works on B; an avatar uploaded through A while S3 is down is served by
 * B, and still after A is replaced with a wiped disk; once S3 is back it ends in S3 with
 * nothing lost, nothing left in the outage store and nothing on either disk; and the login
 * throttle counts attempts on both instances together.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type AppDatabase, openDatabase } from '../../src/db/database.ts';
import { publicReadPolicy } from '../support/bucketPolicy.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { createTestDatabaseUrl, type TestDatabase } from '../support/postgres.ts';
import { createBucket, makeS3Client } from '../support/s3Server.ts';
import { HttpMember, type ServerProcess, startServerProcess } from '../support/serverProcess.ts';
import { listObjects } from '../support/storedState.ts';
import { startSwitchableProxy, type SwitchableProxy } from '../support/switchableProxy.ts';
import { HEALTHZ_AUTH, TEST_HEALTHZ_TOKEN } from '../support/testApp.ts';

const s3 = inject('s3');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

describe.skipIf(!inject('databaseUrlAvailable'))(
  `two instances on one PostgreSQL and S3 (${s3.kind}) (needs PostgreSQL: TEST_DATABASE_URL)`,
  () => {
    let database: TestDatabase;
    let db: AppDatabase;
    let proxy: SwitchableProxy;
    let workDir: string;
    let bucket: string;
    const servers: ServerProcess[] = [];
    let worker: ChildProcess | undefined;
    let workerOutput = '';
    const sessionSecret = randomBytes(24).toString('hex');

    const sharedEnv = () => ({
      DATABASE_URL: database.url,
      USE_CLOUD_STORAGE: 'true',
      AWS_BUCKET_NAME: bucket,
      AWS_REGION: s3.region,
      AWS_ENDPOINT_URL: proxy.endpoint,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      RESYNC_INTERVAL_SECONDS: '1',
    });

    async function startInstance(name: string): Promise<{ server: ServerProcess; dir: string }> {
      const dir = path.join(workDir, name);
      const server = await startServerProcess({
        ...sharedEnv(),
        WORKER: 'external',
        SESSION_SECRET: sessionSecret,
        DATA_DIR: path.join(dir, 'data'),
        LOCAL_STORAGE_DIR: path.join(dir, 'static'),
        UPLOAD_TEMP_DIR: path.join(dir, 'tmp'),
        LOGIN_ATTEMPTS_PER_ACCOUNT: '4',
        HEALTHZ_TOKEN: TEST_HEALTHZ_TOKEN,
        LOG_LEVEL: 'info',
      });
      servers.push(server);
      return { server, dir };
    }

    const get = (server: ServerProcess, pathname: string, cookie: string) =>
      fetch(`${server.origin}${pathname}`, { headers: { cookie }, redirect: 'manual' });
    const avatarUrlOn = async (server: ServerProcess, cookie: string) =>
      /<img[^>]+src="([^"]+avatars\/[^"]+)"/.exec(await (await get(server, '/profile', cookie)).text())?.[1];

    let a: { server: ServerProcess; dir: string };
    let b: { server: ServerProcess; dir: string };
    const member = { http: undefined as HttpMember | undefined, cookie: '' };

    beforeAll(async () => {
      database = (await createTestDatabaseUrl()) as TestDatabase;
      db = await openDatabase({ databaseUrl: database.url, dataDir: undefined });
      workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-scale-'));
      bucket = `scale-${randomBytes(5).toString('hex')}`;
      await createBucket(s3, bucket);
      if (s3.kind === 'minio')
        await makeS3Client(s3).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicReadPolicy(bucket) }));
      proxy = await startSwitchableProxy(s3.endpoint);
      [a, b] = await Promise.all([startInstance('a'), startInstance('b')]);
      // The background worker, as render.yaml's worker service runs it.
      worker = spawn(process.execPath, ['src/worker.ts'], {
        env: {
          ...process.env,
          ...sharedEnv(),
          NODE_ENV: 'development',
          LOCAL_STORAGE_DIR: path.join(workDir, 'worker', 'static'),
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      worker.stdout?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
      worker.stderr?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
    }, 90_000);
    afterAll(async () => {
      for (const server of servers) await server.stop('SIGKILL').catch(() => undefined);
      if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
      await proxy?.close();
      await db?.destroy();
      await database?.drop();
      await fs.rm(workDir, { recursive: true, force: true });
    });

    it('a session made on A works on B', async () => {
      member.http = new HttpMember(a.server.origin);
      await member.http.signUp('scaled');
      member.cookie = member.http.cookieHeader();
      const profile = await get(b.server, '/profile', member.cookie);
      expect(profile.status).toBe(200);
      expect(await profile.text()).toContain('scaled');
    });

    it('S3 down: an avatar through A is served by B and by a replaced A, then ends in S3 with nothing lost or left', async () => {
      proxy.down();
      const image = await makeImage('png', 240, 240, '#208040');
      expect(await member.http!.uploadAvatar(image)).toBe(303);
      const url = await avatarUrlOn(b.server, member.cookie);
      expect(url).toMatch(/^\/media\/avatars\//);
      const held = (await (await fetch(`${b.server.origin}/healthz`, { headers: HEALTHZ_AUTH })).json()).fallback;
      expect(held.files).toBeGreaterThan(0);
      expect(held.bytes).toBeGreaterThan(0);
      expect(held.limitBytes).toBe(512 * 1024 * 1024);
      const fromA = await fetch(`${a.server.origin}${url}`);
      const fromB = await fetch(`${b.server.origin}${url}`);
      expect(fromB.status).toBe(200);
      const bytes = Buffer.from(await fromB.arrayBuffer());
      expect(Buffer.from(await fromA.arrayBuffer())).toEqual(bytes);
      expect(await filesUnder(a.dir)).not.toContainEqual(expect.stringMatching(/\.(webp|jpe?g|png|avif)$/));

      // A is replaced during the outage: stopped, its disk wiped, started again.
      expect(await a.server.stop('SIGTERM')).toBe(0);
      await fs.rm(a.dir, { recursive: true, force: true });
      a = await startInstance('a');
      const fromNewA = await fetch(`${a.server.origin}${url}`);
      expect(fromNewA.status).toBe(200);
      expect(Buffer.from(await fromNewA.arrayBuffer())).toEqual(bytes);

      proxy.up();
      const started = Date.now();
      for (;;) {
        const health = await (await fetch(`${b.server.origin}/healthz`, { headers: HEALTHZ_AUTH })).json();
        const held = (await sql<{ n: number }>`select count(*)::int as n from fallback_blobs`.execute(db)).rows[0]?.n;
        if (health.storage.pending.count === 0 && held === 0) {
          expect(health.storage.lost).toBe(0);
          expect(health.fallback).toMatchObject({ files: 0, bytes: 0 });
          break;
        }
        // Up to the circuit breaker's cool-down, which doubles (15 s, 30 s) while S3 stays down.
        if (Date.now() - started > 60_000) throw new Error(`still waiting for S3: ${JSON.stringify(health.storage)}`);
        await sleep(250);
      }
      const rows = await db.selectFrom('stored_files').select(['location', 'lost_at', 'variants']).execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ location: 's3', lost_at: null });
      const variantKeys = (rows[0]?.variants ?? []).map((variant) => variant.key).sort();
      expect((await listObjects(s3, bucket)).filter((key) => key.startsWith('avatars/')).sort()).toEqual(variantKeys);
      expect(Number((await sql<{ bytes: number }>`select bytes from fallback_usage`.execute(db)).rows[0]?.bytes)).toBe(
        0,
      );
      const nowOnB = await avatarUrlOn(b.server, member.cookie);
      expect(nowOnB).not.toMatch(/^\/media\//);
      for (const dir of [a.dir, b.dir]) expect(await filesUnder(path.join(dir, 'static'))).toEqual([]);
    }, 120_000);

    it('every instance shows the worker on /healthz, and the worker exits 0 on SIGTERM', async () => {
      let workers: Array<{ mode: string }> = [];
      for (let i = 0; i < 40 && workers.length === 0; i++) {
        await sleep(250);
        const health = await (await fetch(`${a.server.origin}/healthz`, { headers: HEALTHZ_AUTH })).json();
        workers = health.jobs.workers;
      }
      expect(workers, workerOutput).toEqual([expect.objectContaining({ mode: 'external' })]);
      worker?.kill('SIGTERM');
      const [code] = (await once(worker!, 'exit')) as [number | null];
      expect(code, workerOutput).toBe(0);
      // Its row is gone; /healthz reads the figures at most every 3 s.
      let after: unknown[] = workers;
      for (let i = 0; i < 40 && after.length > 0; i++) {
        await sleep(250);
        after = (await (await fetch(`${b.server.origin}/healthz`, { headers: HEALTHZ_AUTH })).json()).jobs.workers;
      }
      expect(after).toEqual([]);
    }, 30_000);

    it('the login throttle counts attempts on both instances: 4 wrong over A and B, then the right one is refused', async () => {
      const attempt = async (server: ServerProcess, password: string) => {
        const visitor = new HttpMember(server.origin);
        const body = new URLSearchParams({ _csrf: await visitor.csrfToken('/login'), username: 'scaled', password });
        return visitor.request('/login', { method: 'POST', body });
      };
      for (const [i, server] of [a.server, b.server, a.server, b.server].entries())
        expect((await attempt(server, `wrong-guess-${i}`)).status).toBe(401);
      const refused = await attempt(a.server, 'correct horse battery');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused.text()).toMatch(/Too many attempts\. Please wait \d+ minutes? and try again\./);
    });
  },
);
