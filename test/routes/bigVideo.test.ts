/**
 * A video past 2 GiB (the old 32-bit stored_files.bytes) goes the whole way: started,
 * sent in signed parts as the browser sends them, completed into a video, recorded with its
 * exact size, and played back through the app with Range requests on either side of 2^31.
 * The bytes are generated (one 8 MiB buffer reused per part), so the run costs only loopback
 * and MinIO's disk: about 2 GiB written, copied once server-side.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { csrfTokenFor, signUp } from '../support/browserlessMember.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';
import { makeWebm } from '../support/videoFixtures.ts';

const server = inject('s3');
const MiB = 1024 * 1024;
const PART = 8 * MiB;
/** 256 full parts end exactly at 2^31; part 257 (5 MiB) lies wholly past it. */
const SIZE = 2 ** 31 + 5 * MiB;
const MARKER = Buffer.from('past two gibibytes');
const database = process.env.TEST_DATABASE_URL ? 'postgresql' : 'pglite';

function partBytes(partNumber: number, count: number): Uint8Array<ArrayBuffer> {
  if (partNumber === 1) return Uint8Array.from(makeWebm(PART));
  if (partNumber < count) return ZEROS;
  const last = Buffer.alloc(SIZE - (count - 1) * PART);
  MARKER.copy(last, 0);
  return Uint8Array.from(last);
}
const ZEROS = new Uint8Array(PART);

// s3rver keeps parts in memory and lacks the multipart listing; the test needs MinIO.
describe.skipIf(server.kind !== 'minio')(`a video over 2 GiB (MinIO, ${database})`, () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({
      s3: server,
      database,
      extraEnv: { MAX_VIDEO_SIZE_MB: '5000', DAILY_UPLOAD_MB: '10000', VIDEO_URL_MODE: 'proxy' },
    });
  });
  afterAll(async () => testApp?.close());

  it('is recorded with its exact size and played back with Range requests past 2^31', {
    timeout: 600_000,
  }, async () => {
    const member = await signUp(testApp.app, 'longform');
    const token = await csrfTokenFor(member, '/videos/new');
    const started = await member
      .post('/uploads/videos/start')
      .set('x-csrf-token', token)
      .send({ title: 'The long cut', description: '', contentType: 'video/webm', size: SIZE });
    expect(started.status).toBe(200);
    const { key, partCount } = started.body as { key: string; partCount: number };
    expect(partCount).toBe(257);

    const parts: Array<{ partNumber: number; etag: string }> = [];
    const SIGN_BATCH = 100;
    for (let first = 1; first <= partCount; first += SIGN_BATCH) {
      const numbers = Array.from({ length: Math.min(SIGN_BATCH, partCount - first + 1) }, (_, i) => first + i);
      const signed = await member
        .post('/uploads/videos/parts')
        .set('x-csrf-token', token)
        .send({ key, partNumbers: numbers });
      expect(signed.status).toBe(200);
      // Four in flight, as the browser script sends them.
      const queue = [...(signed.body.parts as Array<{ partNumber: number; url: string }>)];
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let part = queue.shift(); part; part = queue.shift()) {
            const response = await fetch(part.url, { method: 'PUT', body: partBytes(part.partNumber, partCount) });
            expect(response.status).toBe(200);
            parts.push({ partNumber: part.partNumber, etag: response.headers.get('etag') ?? '' });
          }
        }),
      );
    }
    parts.sort((a, b) => a.partNumber - b.partNumber);

    const completed = await member.post('/uploads/videos/complete').set('x-csrf-token', token).send({ key, parts });
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    const file = await testApp.db
      .selectFrom('videos')
      .innerJoin('stored_files', 'stored_files.id', 'videos.video_file_id')
      .select(['stored_files.key', 'stored_files.bytes', 'stored_files.location'])
      .where('videos.id', '=', completed.body.videoId)
      .executeTakeFirstOrThrow();
    expect(file).toMatchObject({ bytes: SIZE, location: 's3' });

    const url = `/media/${file.key}`;
    const head = await member.get(url).set('range', 'bytes=0-3');
    expect(head.status).toBe(206);
    expect(head.headers['content-range']).toBe(`bytes 0-3/${SIZE}`);
    expect(Buffer.from(head.body as Buffer)).toEqual(Buffer.from([0x1a, 0x45, 0xdf, 0xa3]));
    const past = await member
      .get(url)
      .set('range', `bytes=${2 ** 31}-${2 ** 31 + MARKER.length - 1}`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(past.status).toBe(206);
    expect(past.headers['content-range']).toBe(`bytes ${2 ** 31}-${2 ** 31 + MARKER.length - 1}/${SIZE}`);
    expect((past.body as Buffer).toString()).toBe(MARKER.toString());
    const tail = await member.get(url).set('range', 'bytes=-1');
    expect(tail.status).toBe(206);
    expect(tail.headers['content-range']).toBe(`bytes ${SIZE - 1}-${SIZE - 1}/${SIZE}`);
  });
});
