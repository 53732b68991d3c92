/**
 * PostgreSQL going away under a burst of uploads (avatars, video forms with a thumbnail),
 * against the real server process started as render.yaml starts it, on a PostgreSQL cluster of
 * the test's own (test/support/privatePostgres.ts) — restarted once, then its connections
 * terminated again and again. Judged: the process never dies; every answer is a success or a
 * 503 that says why (HTML sentence or JSON, Retry-After), never a 500 and never slower than the
 * stated bound; /healthz says the database is unreachable while it is, and recovers; uploads
 * work again afterwards; and once storage:gc has run, every object in the bucket has its row
 * and every row its object.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { HeadObjectCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { publicReadPolicy } from '../support/bucketPolicy.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { type PrivatePostgres, privatePostgresMissing, startPrivatePostgres } from '../support/privatePostgres.ts';
import { createBucket, makeS3Client } from '../support/s3Server.ts';
import { HttpMember, type ServerProcess, startServerProcess } from '../support/serverProcess.ts';
import { listObjects } from '../support/storedState.ts';
import { HEALTHZ_AUTH, TEST_HEALTHZ_TOKEN } from '../support/testApp.ts';
import { type BurstAnswer, tally, uploadBurst } from '../support/uploadBurst.ts';

const s3 = inject('s3');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DATABASE = 'videovote';
const UNAVAILABLE = 'The database is not answering right now, so nothing was changed. Please try again in a minute.';
/** The pool's 5 s connection timeout (db/database.ts), with room for a loaded two-core machine. */
const SLOWEST_ANSWER_MS = 15_000;

describe.skipIf(privatePostgresMissing !== undefined)(
  `the database restarting or dropping connections during uploads (S3: ${s3.kind}) (needs ${privatePostgresMissing ?? 'PostgreSQL binaries'})`,
  () => {
    let cluster: PrivatePostgres;
    let server: ServerProcess;
    let workDir: string;
    let bucket: string;
    let env: Record<string, string>;
    let members: HttpMember[];

    beforeAll(async () => {
      cluster = await startPrivatePostgres();
      const databaseUrl = await cluster.createDatabase(DATABASE);
      workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-dbfaults-'));
      bucket = `dbfaults-${randomBytes(4).toString('hex')}`;
      await createBucket(s3, bucket);
      if (s3.kind === 'minio') {
        const admin = makeS3Client(s3);
        await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicReadPolicy(bucket) }));
        admin.destroy();
      }
      env = {
        DATABASE_URL: databaseUrl,
        USE_CLOUD_STORAGE: 'true',
        AWS_BUCKET_NAME: bucket,
        AWS_REGION: s3.region,
        AWS_ENDPOINT_URL: s3.endpoint,
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        SESSION_SECRET: randomBytes(24).toString('hex'),
        DATA_DIR: path.join(workDir, 'data'),
        LOCAL_STORAGE_DIR: path.join(workDir, 'static'),
        UPLOAD_TEMP_DIR: path.join(workDir, 'tmp'),
        HEALTHZ_TOKEN: TEST_HEALTHZ_TOKEN,
        UPLOADS_PER_MINUTE: '1000',
        LOG_LEVEL: process.env.VV_DUMP_SERVER_LOG ? 'info' : 'warn',
      };
      server = await startServerProcess(env, { shellCommand: 'exec node src/server.ts' });
      members = [new HttpMember(server.origin), new HttpMember(server.origin), new HttpMember(server.origin)];
      for (const [index, member] of members.entries()) await member.signUp(`dbfault${index}`);
    }, 120_000);

    afterAll(async () => {
      if (process.env.VV_DUMP_SERVER_LOG) console.log(server?.output());
      if (server && server.child.exitCode !== null) console.log(`the server exited:\n${server.output().slice(-4000)}`);
      await server?.stop('SIGKILL');
      await cluster?.destroy();
      if (workDir) await fs.rm(workDir, { recursive: true, force: true });
    });

    const healthz = async () =>
      (await fetch(`${server.origin}/healthz`, { headers: HEALTHZ_AUTH })).json() as Promise<{
        status: string;
        reasons: string[];
        database: { reachable: boolean };
      }>;

    /** The JSON log lines at error level or above (pino: 50), shortened to their message. */
    function errorLevelLines(output: string): string[] {
      return output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; msg: string })
        .filter((entry) => entry.level >= 50)
        .map((entry) => entry.msg);
    }

    /** Every answer is a success (303) or a 503 that says the database is away, quickly, with Retry-After. */
    function expectOnlySuccessOr503(answers: BurstAnswer[]) {
      expect(server.child.exitCode, server.output()).toBeNull();
      expect(
        answers
          .filter((answer) => answer.status !== 303 && answer.status !== 503)
          .map((a) => [a.kind, a.status, Math.round(a.ms), /<title>[^<]*|^[^<].*/.exec(a.body)?.[0]]),
      ).toEqual([]);
      for (const answer of answers.filter((a) => a.status === 503)) {
        expect(answer.retryAfter).toBe('30');
        expect(answer.contentType).toMatch(/text\/html/);
        expect(answer.body).toContain(UNAVAILABLE);
        expect(answer.body).not.toMatch(/\bat .+\.ts:\d+/); // no stack trace
      }
      expect(Math.max(...answers.map((answer) => answer.ms))).toBeLessThan(SLOWEST_ANSWER_MS);
    }

    /** Every bucket object has a row that names it, and every row's objects are in the bucket. */
    async function objectsWithoutRows(): Promise<{ orphans: string[]; missing: string[] }> {
      const client = new Client({ connectionString: cluster.urlFor(DATABASE) });
      await client.connect();
      const { rows } = await client.query<{ key: string; variants: Array<{ key: string }> | null; location: string }>(
        'SELECT key, variants, location FROM stored_files WHERE lost_at IS NULL',
      );
      await client.end();
      const known = new Set(rows.flatMap((row) => [row.key, ...(row.variants ?? []).map((variant) => variant.key)]));
      const objects = await listObjects(s3, bucket);
      const admin = makeS3Client(s3);
      const missing: string[] = [];
      for (const row of rows.filter((r) => r.location === 's3'))
        await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: row.key })).catch(() => missing.push(row.key));
      admin.destroy();
      return { orphans: objects.filter((key) => !known.has(key)), missing };
    }

    async function collectGarbage(): Promise<string> {
      // The shortest grace period the CLI takes is above zero: wait past it.
      await sleep(1_500);
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['src/cli/storageGc.ts', '--delete', '--older-than-hours', '0.0003'],
        {
          env: { ...process.env, ...env, NODE_ENV: 'development', DOTENV_CONFIG_PATH: '/nonexistent/.env' },
          timeout: 60_000,
        },
      );
      return stdout;
    }

    async function expectUploadsWorkAgain() {
      const avatar = await makeImage('png', 96, 96, '#118833');
      for (const member of members) expect(await member.uploadAvatar(avatar)).toBe(303);
    }

    it('a restart: 503s with a sentence during the gap, /healthz says so, nothing is left without its row', async () => {
      let endBurst!: () => void;
      const burst = uploadBurst(members, new Promise<void>((resolve) => (endBurst = resolve)));
      await sleep(1_500);
      await cluster.stop();
      // While it is down: a page, a JSON client and /healthz.
      const page = await fetch(`${server.origin}/`, { headers: { accept: 'text/html' } });
      const pageBody = await page.text();
      const json = await members[0]!.request('/profile', { headers: { accept: 'application/json' } });
      const jsonBody = (await json.json()) as { error: string };
      const down = await healthz();
      await sleep(2_000);
      await cluster.start();
      await sleep(2_000);
      endBurst();
      const answers = await burst;

      expect(page.status).toBe(503);
      expect(page.headers.get('retry-after')).toBe('30');
      expect(pageBody).toContain(UNAVAILABLE);
      expect(json.status).toBe(503);
      expect(jsonBody.error).toBe(UNAVAILABLE);
      expect(down.database.reachable).toBe(false);
      expect(down.status).toBe('degraded');
      expect(down.reasons[0]).toMatch(/^The database is unreachable \(/);

      console.log('restart burst:', tally(answers));
      expectOnlySuccessOr503(answers);
      expect(answers.some((answer) => answer.status === 503)).toBe(true);
      expect(answers.some((answer) => answer.status === 303)).toBe(true);

      await expect.poll(async () => (await healthz()).database.reachable, { timeout: 15_000 }).toBe(true);
      await expectUploadsWorkAgain();
      const before = await objectsWithoutRows();
      const gc = await collectGarbage();
      const after = await objectsWithoutRows();
      console.log(`restart: ${before.orphans.length} object(s) without a row before storage:gc`);
      expect(gc).toContain(`deleted ${before.orphans.length} (`);
      expect(after).toEqual({ orphans: [], missing: [] });
      // The outage is /healthz's news and each member's 503: warnings in the log, not errors that page someone.
      expect(errorLevelLines(server.output())).toEqual([]);
    }, 150_000);

    it('connections terminated (pg_terminate_backend) again and again: the same, and no crash', async () => {
      let endBurst!: () => void;
      const burst = uploadBurst(members, new Promise<void>((resolve) => (endBurst = resolve)));
      let terminated = 0;
      for (let round = 0; round < 10; round++) {
        await sleep(300);
        terminated += await cluster.terminateConnections(DATABASE);
      }
      endBurst();
      const answers = await burst;

      console.log(`terminate burst (${terminated} connections ended):`, tally(answers));
      expect(terminated).toBeGreaterThan(0);
      expectOnlySuccessOr503(answers);
      expect(answers.some((answer) => answer.status === 303)).toBe(true);
      expect((await healthz()).database.reachable).toBe(true);
      await expectUploadsWorkAgain();
      await collectGarbage();
      expect(await objectsWithoutRows()).toEqual({ orphans: [], missing: [] });
    }, 150_000);
  },
);
