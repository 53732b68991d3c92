/**
 * HOSTILE-INPUT #19. How Render stops an instance: SIGTERM. The real server process stops
 * accepting connections, lets an upload in flight finish, and pushes images still waiting on
 * local disk (uploaded while S3 was down) to S3 within the grace period, then exits 0 —
 * before its disk is thrown away.
 */
import http from 'node:http';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { publicReadPolicy } from '../support/bucketPolicy.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { createBucket, makeS3Client, startS3Server, type S3TestServer } from '../support/s3Server.ts';
import { HttpMember, startServerProcess, type ServerProcess } from '../support/serverProcess.ts';
import { listObjects } from '../support/storedState.ts';
import { HEALTHZ_AUTH, TEST_HEALTHZ_TOKEN } from '../support/testApp.ts';
import { multipart } from '../support/rawUpload.ts';
import { waitFor } from '../support/waitFor.ts';
import { PutBucketPolicyCommand } from '@aws-sdk/client-s3';

describe('SIGTERM', () => {
  let s3: S3TestServer | undefined;
  let app: ServerProcess | undefined;
  let workDir: string | undefined;
  afterAll(async () => {
    await app?.stop('SIGKILL');
    await s3?.stop();
    if (workDir) await fs.rm(workDir, { recursive: true, force: true });
  });

  it('#19 SIGTERM pushes images pending on local disk to S3 within the grace period and exits 0', async () => {
    s3 = await startS3Server();
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-sigterm-'));
    const bucket = `term-${randomBytes(4).toString('hex')}`;
    await createBucket(s3, bucket);
    if (s3.kind === 'minio')
      await makeS3Client(s3).send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicReadPolicy(bucket) }));
    await s3.pause();

    app = await startServerProcess({
      DATA_DIR: path.join(workDir, 'data'),
      LOCAL_STORAGE_DIR: path.join(workDir, 'static'),
      UPLOAD_TEMP_DIR: path.join(workDir, 'tmp'),
      USE_CLOUD_STORAGE: 'true',
      AWS_BUCKET_NAME: bucket,
      AWS_REGION: s3.region,
      AWS_ENDPOINT_URL: s3.endpoint,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      // Only the shutdown may move them: no background pass gets there first.
      RESYNC_INTERVAL_SECONDS: '3600',
      SHUTDOWN_GRACE_SECONDS: '20',
      HEALTHZ_TOKEN: TEST_HEALTHZ_TOKEN,
      LOG_LEVEL: 'info',
    });
    const members = ['tess', 'tom', 'tia'].map(() => new HttpMember(app!.origin));
    for (const [i, member] of members.entries()) {
      await member.signUp(['tess', 'tom', 'tia'][i]!);
      expect(await member.uploadAvatar(await makeImage('png', 200, 200, ['#a00000', '#00a000', '#0000a0'][i]))).toBe(
        303,
      );
    }
    // /healthz counts the outbox at most every 3 s.
    const pendingCount = async () =>
      (await (await fetch(`${app!.origin}/healthz`, { headers: HEALTHZ_AUTH })).json()).storage.pending.count;
    await waitFor('/healthz to count the 3 pending images', async () => (await pendingCount()) === 3, {
      intervalMs: 200,
    });
    expect(await pendingCount()).toBe(3);

    await s3.restart();
    const exitCode = await app.stop('SIGTERM');
    expect(exitCode).toBe(0);
    expect(app.output()).toContain('SIGTERM received: finishing in-flight requests, then pushing pending images to S3');
    expect(app.output()).toContain('Before exit: 3 image(s) moved to S3');

    const db = await openDatabase({ databaseUrl: undefined, dataDir: path.join(workDir, 'data') });
    const rows = await db.selectFrom('stored_files').select(['location', 'variants']).execute();
    const pending = await db.selectFrom('pending_copies').selectAll().execute();
    await db.destroy();
    expect(rows.map((row) => row.location)).toEqual(['s3', 's3', 's3']);
    expect(pending).toEqual([]);
    const keys = await listObjects(s3, bucket);
    for (const row of rows) for (const variant of row.variants ?? []) expect(keys).toContain(variant.key);
    expect(await fs.readdir(path.join(workDir, 'static', 'avatars'))).toEqual([]);
  }, 120_000);

  it('#19 SIGTERM stops accepting connections but lets an upload in flight finish, then exits 0', async () => {
    await expectInFlightUploadToFinish();
  }, 120_000);

  it('#19 a client that keeps its connection alive and busy is told to close, and cannot hold the drain open', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-keepalive-'));
    const server = await startServerProcess({
      DATA_DIR: path.join(dir, 'data'),
      LOCAL_STORAGE_DIR: path.join(dir, 'static'),
      UPLOAD_TEMP_DIR: path.join(dir, 'tmp'),
      SHUTDOWN_GRACE_SECONDS: '20',
      LOG_LEVEL: 'info',
    });
    // One socket, reused for every request, one request after another: a browser or Render's proxy.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ask = () =>
      new Promise<{ status: number; connection: string | undefined; socket: unknown }>((resolve, reject) => {
        const request = http.get(`${server.origin}/healthz`, { agent }, (response) => {
          response.resume();
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              connection: response.headers.connection,
              socket: request.socket,
            }),
          );
        });
        request.on('error', reject);
      });
    try {
      expect((await ask()).connection).toBe('keep-alive');
      // A request is in flight on that socket when the signal lands, so it is not idle then.
      const body = 'username=someone&password=not-sent-yet';
      const inFlight = http.request(`${server.origin}/login`, {
        agent,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) },
      });
      const answered = new Promise<number>((resolve, reject) => {
        inFlight.on('response', (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        });
        inFlight.on('error', reject);
      });
      inFlight.write(body.slice(0, 10));
      await sleep(300);
      const exited = server.stop('SIGTERM');
      await waitFor('the drain to begin', async () => server.output().includes('SIGTERM received'), { intervalMs: 50 });
      inFlight.end(body.slice(10));
      expect(await answered).toBe(403);
      // The same client goes on asking on its kept-alive socket: it is told to close, then cannot connect.
      const seen: string[] = [];
      const deadline = Date.now() + 10_000;
      let refused = false;
      while (Date.now() < deadline && !refused) {
        try {
          seen.push((await ask()).connection ?? '');
        } catch {
          refused = true;
        }
      }
      expect(refused, `${seen.length} answers after SIGTERM, the last: ${seen.slice(-3).join(', ')}`).toBe(true);
      expect(seen.filter((connection) => connection !== 'close')).toEqual([]);
      expect(await exited).toBe(0);
      expect(server.output()).toContain('Shut down cleanly');
    } finally {
      agent.destroy();
      await server.stop('SIGKILL');
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("#19 the same drain when the app is started exactly as render.yaml's startCommand says, through sh -c", async () => {
    const startCommand = /^\s*startCommand:\s*(.+?)\s*$/m.exec(
      await fs.readFile(path.resolve(import.meta.dirname, '../../render.yaml'), 'utf8'),
    )?.[1];
    expect(startCommand, 'render.yaml has a startCommand').toBeDefined();
    // Render signals the process its start command created; that process must be the server.
    await expectInFlightUploadToFinish(startCommand);
  }, 120_000);
});

/**
 * An upload is half sent when SIGTERM reaches the process `shellCommand` starts (or
 * `node src/server.ts` itself): new connections are refused, the upload finishes, exit 0.
 */
async function expectInFlightUploadToFinish(shellCommand?: string): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-inflight-'));
  const server = await startServerProcess(
    {
      DATA_DIR: path.join(dir, 'data'),
      LOCAL_STORAGE_DIR: path.join(dir, 'static'),
      UPLOAD_TEMP_DIR: path.join(dir, 'tmp'),
      SHUTDOWN_GRACE_SECONDS: '20',
      HEALTHZ_TOKEN: TEST_HEALTHZ_TOKEN,
      LOG_LEVEL: 'info',
    },
    { shellCommand },
  );
  try {
    const member = new HttpMember(server.origin);
    await member.signUp('inflight');
    const body = multipart([
      { name: '_csrf', body: await member.csrfToken('/profile') },
      {
        name: 'avatar',
        filename: 'a.png',
        contentType: 'image/png',
        body: await makeImage('png', 300, 300, '#206040'),
      },
    ]);
    const half = Math.floor(body.length / 2);
    const upload = http.request(`${server.origin}/profile/avatar`, {
      method: 'POST',
      headers: {
        cookie: member.cookieHeader(),
        'content-type': 'multipart/form-data; boundary=----vvhostile',
        'content-length': String(body.length),
      },
    });
    const answered = new Promise<number>((resolve, reject) => {
      upload.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      upload.on('error', reject);
    });
    upload.write(body.subarray(0, half));
    // Unavoidable fixed wait: an avatar is received in memory, so nothing outside the server
    // shows that it has read the first half; 300 ms lets it get there before the signal.
    await sleep(300);
    const exited = server.stop('SIGTERM');
    const healthz = () =>
      fetch(`${server.origin}/healthz`).then(
        () => 'answered',
        () => 'refused',
      );
    // New connections are refused while the upload is still being received.
    await waitFor('new connections to be refused', async () => (await healthz()) === 'refused');
    expect(await healthz()).toBe('refused');
    upload.end(body.subarray(half));
    expect(await answered).toBe(303);
    expect(await exited).toBe(0);
    expect(server.output()).toContain('Shut down cleanly');
    // Local mode has no S3 to push to, and the log says what it does instead.
    expect(server.output()).toContain('SIGTERM received: finishing in-flight requests, then closing the database');
    expect(server.output()).not.toContain('S3');
    const db = await openDatabase({ databaseUrl: undefined, dataDir: path.join(dir, 'data') });
    const rows = await db
      .selectFrom('users')
      .innerJoin('stored_files', 'stored_files.id', 'users.avatar_image_id')
      .select('stored_files.location')
      .execute();
    await db.destroy();
    expect(rows).toEqual([{ location: 'local' }]);
  } finally {
    await server.stop('SIGKILL');
    await fs.rm(dir, { recursive: true, force: true });
  }
}
