/**
 * The worker as a real process on PostgreSQL and MinIO (test/support/workerChild.ts), running
 * the real direct-image job: a member's avatar is presigned, posted to the bucket and
 * finalized (202, job queued) in the test process, as a web instance would. SIGKILLed after
 * writing the variants but before committing, the job comes back after its lease and
 * completes exactly once (one stored_files row, one object set); SIGKILLed right after the
 * commit, it never runs again; SIGTERMed while the job runs, it hands the job back at once,
 * exits 0 within the grace period, and the next worker finishes it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { type AppDatabase, openDatabase } from '../../src/db/database.ts';
import { captureLogs } from '../support/captureLogs.ts';
import { type GuardedAdapter, withCircuitBreaker } from '../../src/storage/circuitBreaker.ts';
import { createPostSigner } from '../../src/storage/presignedPost.ts';
import { createS3Client } from '../../src/storage/s3Client.ts';
import { DIRECT_UPLOAD_EXPIRES_SECONDS, s3AdapterFor } from '../../src/storage/storageFromConfig.ts';
import { createDirectUploads, type DirectUploads } from '../../src/uploads/directImageUploads.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { createTestDatabaseUrl, type TestDatabase } from '../support/postgres.ts';
import { createBucket, s3SettingsFor } from '../support/s3Server.ts';
import { listObjects } from '../support/storedState.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const s3 = inject('s3');

describe.skipIf(!process.env.TEST_DATABASE_URL)('the worker process (needs PostgreSQL: TEST_DATABASE_URL)', () => {
  let database: TestDatabase;
  let db: AppDatabase;
  let localDir: string;
  let bucket: string;
  let directUploads: DirectUploads;
  let bucketAdapter: GuardedAdapter;
  let member: number;
  const children = new Set<ChildProcess>();

  function startWorker(env: Record<string, string> = {}) {
    const child = spawn(process.execPath, ['test/support/workerChild.ts'], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: database.url,
        WORKER: 'external',
        JOB_LEASE_SECONDS: '2',
        SHUTDOWN_GRACE_SECONDS: '4',
        LOCAL_STORAGE_DIR: localDir,
        USE_CLOUD_STORAGE: 'true',
        AWS_BUCKET_NAME: bucket,
        AWS_REGION: s3.region,
        AWS_ENDPOINT_URL: s3.endpoint,
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const said = async (text: string, ms = 20_000) => {
      const started = Date.now();
      while (!output.includes(text)) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker exited:\n${output}`);
        if (Date.now() - started > ms) throw new Error(`worker did not say "${text}":\n${output}`);
        await sleep(25);
      }
    };
    return { child, exited, said, output: () => output };
  }

  const jobs = async () =>
    (await sql<{ locked_by: string | null; attempts: number }>`select locked_by, attempts from jobs`.execute(db)).rows;
  const stateOf = async (key: string) =>
    (await db.selectFrom('direct_uploads').select('state').where('key', '=', key).executeTakeFirstOrThrow()).state;
  const memberFiles = () =>
    db.selectFrom('stored_files').selectAll().where('owner_id', '=', member).where('folder', '=', 'avatars').execute();
  const memberObjects = async () =>
    (await listObjects(s3, bucket)).filter((key) => key.startsWith(`avatars/u${member}-`));
  const incoming = async () => (await listObjects(s3, bucket)).filter((key) => key.startsWith('incoming/'));
  async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
      await sleep(50);
    }
  }

  /** What a member's browser and a web instance do: presign, POST to the bucket, finalize (202, job queued). */
  async function finalizedAvatar(color: string): Promise<string> {
    const bytes = await makeImage('jpeg', 600, 600, color);
    const signed = await directUploads.presign(member, {
      purpose: 'avatar',
      contentType: 'image/jpeg',
      size: bytes.length,
      videoId: null,
    });
    const form = new FormData();
    for (const [name, value] of Object.entries(signed.fields)) form.set(name, value);
    form.set('file', new Blob([new Uint8Array(bytes)]), 'photo.jpg');
    expect((await fetch(signed.url, { method: 'POST', body: form })).status).toBeLessThan(300);
    expect((await directUploads.finalize(member, signed.key)).state).toBe('processing');
    return signed.key;
  }

  beforeAll(async () => {
    database = (await createTestDatabaseUrl()) as TestDatabase;
    db = await openDatabase({ databaseUrl: database.url, dataDir: undefined });
    localDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-worker-'));
    bucket = `worker-${randomBytes(4).toString('hex')}`;
    await createBucket(s3, bucket);
    const settings = s3SettingsFor(s3, bucket);
    bucketAdapter = withCircuitBreaker(s3AdapterFor(settings));
    directUploads = createDirectUploads({
      db,
      s3: bucketAdapter,
      logger: captureLogs().logger,
      maxImageBytes: 5 * 1024 * 1024,
      sign: createPostSigner({
        client: createS3Client(settings),
        bucket,
        expiresSeconds: DIRECT_UPLOAD_EXPIRES_SECONDS,
      }),
    });
  });
  beforeEach(async () => {
    await sql`delete from jobs`.execute(db);
    const created = await db
      .insertInto('users')
      .values({ username: `m-${randomBytes(4).toString('hex')}`, password_hash: 'x' })
      .returning('id')
      .executeTakeFirstOrThrow();
    member = created.id;
  });
  afterEach(() => {
    // A case that failed half-way must not leave a worker taking the next case's job.
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await db?.destroy();
    await database?.drop();
    await fs.rm(localDir, { recursive: true, force: true });
  });

  it('SIGKILLed after writing the variants, before committing: retried after the lease, one row and one object set', async () => {
    const doomed = startWorker({ CRASH_AT: 'direct-image:written' });
    await doomed.said('ready');
    const key = await finalizedAvatar('#1c7ed6');
    const [, signal] = await doomed.exited;
    expect(signal).toBe('SIGKILL');
    // The variants reached the bucket; nothing was recorded.
    const written = await memberObjects();
    expect(written.length).toBeGreaterThan(0);
    expect(await memberFiles()).toEqual([]);
    expect(await stateOf(key)).toBe('processing');

    const next = startWorker();
    await next.said('ready');
    await until(async () => (await jobs()).length === 0, 15_000);
    expect(await stateOf(key)).toBe('stored');
    const files = await memberFiles();
    expect(files).toHaveLength(1);
    const variantKeys = (files[0]?.variants ?? []).map((variant) => variant.key).sort();
    expect(await memberObjects()).toEqual(variantKeys);
    expect(variantKeys).toEqual(written);
    const user = await db.selectFrom('users').select('avatar_image_id').where('id', '=', member).executeTakeFirst();
    expect(user?.avatar_image_id).toBe(files[0]?.id);
    // The temporary object goes right after the commit.
    await until(async () => (await incoming()).length === 0, 5_000);
    next.child.kill('SIGTERM');
    expect((await next.exited)[0]).toBe(0);
  }, 90_000);

  it('SIGKILLed right after the commit: the job is gone and never runs again', async () => {
    const doomed = startWorker({ CRASH_AT: 'direct-image:committed' });
    await doomed.said('ready');
    const key = await finalizedAvatar('#e8590c');
    expect((await doomed.exited)[1]).toBe('SIGKILL');
    const next = startWorker();
    await next.said('ready');
    await sleep(3_000); // past the 2 s lease
    expect(await jobs()).toEqual([]);
    expect(await stateOf(key)).toBe('stored');
    const files = await memberFiles();
    expect(files).toHaveLength(1);
    expect(await memberObjects()).toEqual((files[0]?.variants ?? []).map((variant) => variant.key).sort());
    // Killed before deleting it: the temporary object waits for storage:gc's grace period.
    expect(await incoming()).toEqual([key]);
    next.child.kill('SIGTERM');
    await next.exited;
    // Removed here, so the next case's incoming/ check starts empty.
    await bucketAdapter.delete(key);
  }, 90_000);

  it('SIGTERM while a job runs: the job goes back unlocked and uncounted, exit 0 within the grace, the next worker finishes it', async () => {
    const stopping = startWorker({ PAUSE_AT: 'direct-image:started', SHUTDOWN_GRACE_SECONDS: '4' });
    await stopping.said('ready');
    const key = await finalizedAvatar('#5f3dc4');
    await stopping.said('paused direct-image:started');
    const sentAt = Date.now();
    stopping.child.kill('SIGTERM');
    const [code] = await stopping.exited;
    expect(code).toBe(0);
    expect(Date.now() - sentAt).toBeLessThan(5_000);
    expect(await jobs()).toEqual([{ locked_by: null, attempts: 0 }]);
    const next = startWorker();
    await until(async () => (await jobs()).length === 0, 15_000);
    expect(await stateOf(key)).toBe('stored');
    expect(await memberFiles()).toHaveLength(1);
    next.child.kill('SIGTERM');
    await next.exited;
  }, 90_000);
});
