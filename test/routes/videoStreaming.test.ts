/**
 * A video sent through the form streams on to S3 while it is still arriving (the upload
 * takes about as long as the slower leg, not the sum of both), and every way it can go wrong
 * still leaves exactly one stored copy or none: a form refused after the bytes went up, a
 * file over the limit halfway through a multipart upload, a client that gives up, and an S3
 * that never answers (the spooled copy is stored locally instead).
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { csrfTokenFor, signUp, type Agent } from '../support/browserlessMember.ts';
import { startBlackHole } from '../support/faultyEndpoints.ts';
import { listenOnLoopback } from '../support/listen.ts';
import { incompleteUploads as incompleteUploadsIn, storedState } from '../support/storedState.ts';
import { createTestApp, HEALTHZ_AUTH, type TestApp } from '../support/testApp.ts';
import { makeMp4 } from '../support/videoFixtures.ts';

const s3 = inject('s3');
const MIB = 1024 * 1024;
// lib-storage sends bodies above 5 MiB as multipart uploads: these sizes exercise that path.
const VIDEO_BYTES = 12 * MIB;

const incompleteUploads = (bucket: string) => incompleteUploadsIn(s3, bucket);

/** A form post written by hand, so the test decides when each byte goes out. */
function formParts(token: string, title: string) {
  const boundary = '----vvstream';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n${title}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="url"\r\n\r\n\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="video"; filename="clip.mp4"\r\nContent-Type: video/mp4\r\n\r\n`,
  );
  return { boundary, head, tail: Buffer.from(`\r\n--${boundary}--\r\n`) };
}

describe(`form video uploads stream on to S3 (${s3.kind})`, () => {
  let testApp: TestApp;
  let member: Agent;
  beforeAll(async () => {
    testApp = await createTestApp({ s3, extraEnv: { MAX_VIDEO_SIZE_MB: '16' } });
    member = await signUp(testApp.app, 'streamer');
  });
  afterAll(async () => testApp?.close());

  it.skipIf(s3.kind !== 'minio')(
    'has the upload under way in S3 before the last byte arrives, then stores exactly one object (MinIO only: s3rver lists no multipart uploads)',
    async () => {
      const server = await listenOnLoopback(testApp.app);
      try {
        const token = await csrfTokenFor(member, '/videos/new');
        const cookie = (await member.get('/videos/new')).request.cookies;
        const video = makeMp4(VIDEO_BYTES);
        const { boundary, head, tail } = formParts(token, 'Streamed');
        const answered = new Promise<http.IncomingMessage>((resolve, reject) => {
          const request = http.request(
            `${server.origin}/videos`,
            {
              method: 'POST',
              headers: {
                cookie,
                'content-type': `multipart/form-data; boundary=${boundary}`,
                'content-length': String(head.length + video.length + tail.length),
              },
            },
            resolve,
          );
          request.on('error', reject);
          request.write(head);
          request.write(video.subarray(0, 8 * MIB));
          void (async () => {
            // The first 8 MiB are in; the rest waits until S3 shows the upload in progress.
            const deadline = Date.now() + 10_000;
            while ((await incompleteUploads(testApp.bucket!)).length === 0 && Date.now() < deadline) await sleep(50);
            request.end(Buffer.concat([video.subarray(8 * MIB), tail]));
          })();
        });
        const inFlight = await (async () => {
          const deadline = Date.now() + 10_000;
          while (Date.now() < deadline) {
            const keys = await incompleteUploads(testApp.bucket!);
            if (keys.length > 0) return keys;
            await sleep(50);
          }
          return [];
        })();
        expect(inFlight).toHaveLength(1);
        expect(inFlight[0]).toMatch(/^uploads\/u\d+-[0-9a-f]{32}\.mp4$/);
        const response = await answered;
        expect(response.statusCode).toBe(303);
        const state = await storedState(testApp, s3);
        expect(state.objects).toEqual([inFlight[0]]);
        expect(state.tempFiles).toEqual([]);
        expect(await incompleteUploads(testApp.bucket!)).toEqual([]);
        const row = await testApp.db
          .selectFrom('stored_files')
          .selectAll()
          .where('key', '=', inFlight[0]!)
          .executeTakeFirstOrThrow();
        expect(row).toMatchObject({ location: 's3', bytes: VIDEO_BYTES, content_type: 'video/mp4' });
      } finally {
        await server.close();
      }
    },
  );

  it('deletes the streamed object when the form is refused afterwards (no title → 422)', async () => {
    const before = await storedState(testApp, s3);
    const token = await csrfTokenFor(member, '/videos/new');
    const response = await member
      .post('/videos')
      .field('_csrf', token)
      .field('title', '')
      .field('url', '')
      .attach('video', makeMp4(VIDEO_BYTES), 'clip.mp4');
    expect(response.status).toBe(422);
    expect(response.text).toContain('Please give your video a title.');
    expect(await storedState(testApp, s3)).toEqual(before);
    if (s3.kind === 'minio') expect(await incompleteUploads(testApp.bucket!)).toEqual([]);
  });

  it('aborts the multipart upload when the file passes the limit halfway (413), leaving nothing', async () => {
    const before = await storedState(testApp, s3);
    const token = await csrfTokenFor(member, '/videos/new');
    const response = await member
      .post('/videos')
      .field('_csrf', token)
      .field('title', 'Too long')
      .field('url', '')
      .attach('video', makeMp4(20 * MIB), 'long.mp4');
    expect(response.status).toBe(413);
    expect(response.text).toContain('Videos can be at most 16 MB.');
    expect(await storedState(testApp, s3)).toEqual(before);
    if (s3.kind === 'minio') expect(await incompleteUploads(testApp.bucket!)).toEqual([]);
    // Abandoning the upload was the app's doing, not S3's: the breaker stays closed, so the next upload still goes to S3.
    expect((await member.get('/healthz').set(HEALTHZ_AUTH)).body.storage.s3.breaker).toBe('closed');
  });
});

describe('form video uploads with S3 black-holed', () => {
  it('stores the spooled copy locally within seconds, and nothing reaches the bucket', async () => {
    const blackHole = await startBlackHole();
    const testApp = await createTestApp({
      s3,
      s3Overrides: { endpoint: blackHole.endpoint },
      breakerCooldownMs: 120_000,
    });
    try {
      const member = await signUp(testApp.app, 'patient');
      const token = await csrfTokenFor(member, '/videos/new');
      const started = performance.now();
      const response = await member
        .post('/videos')
        .field('_csrf', token)
        .field('title', 'Kept')
        .field('url', '')
        .attach('video', makeMp4(VIDEO_BYTES), 'clip.mp4');
      const elapsedMs = performance.now() - started;
      expect(response.status).toBe(303);
      expect(elapsedMs).toBeLessThan(20_000);
      const state = await storedState(testApp, s3);
      expect(state.objects).toEqual([]);
      expect(state.files).toHaveLength(1);
      expect(state.files[0]).toMatch(/^uploads\/u\d+-[0-9a-f]{32}\.mp4$/);
      expect(state.tempFiles).toEqual([]);
      const row = await testApp.db.selectFrom('stored_files').selectAll().executeTakeFirstOrThrow();
      expect(row).toMatchObject({ location: 'local', bytes: VIDEO_BYTES });
    } finally {
      await testApp.close();
      await blackHole.close();
    }
  }, 60_000);
});
