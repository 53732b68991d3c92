/**
 * Resuming an interrupted direct video upload through HTTP, against MinIO: the same member
 * with the same file gets the parts S3 already holds (from ListParts, ETags included), sends
 * only the rest and completes it into a video; a different file of the same name, another
 * member, an expired upload and one S3 no longer knows are each refused with a sentence.
 */
import { createHash } from 'node:crypto';
import { AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { csrfTokenFor, signUp, type Agent } from '../support/browserlessMember.ts';
import { makeS3Client } from '../support/s3Server.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';
import { makeWebm } from '../support/videoFixtures.ts';

const server = inject('s3');
const MiB = 1024 * 1024;
const PART = 8 * MiB;
const bytes = makeWebm(20 * MiB);
const file = {
  name: 'holiday.webm',
  lastModified: 1_764_000_000_000,
  headSha256: createHash('sha256').update(bytes.subarray(0, MiB)).digest('hex'),
};
const declared = { title: 'Holiday', description: '', contentType: 'video/webm', size: bytes.length };

// s3rver lacks ListParts' multipart bookkeeping as MinIO and AWS keep it.
describe.skipIf(server.kind !== 'minio')('resuming a direct video upload (MinIO)', () => {
  let testApp: TestApp;
  let alice: Agent;
  let aliceToken: string;
  beforeAll(async () => {
    testApp = await createTestApp({ s3: server });
    alice = await signUp(testApp.app, 'alice-resume');
    aliceToken = await csrfTokenFor(alice, '/videos/new');
  });
  afterAll(async () => testApp?.close());

  const post = (agent: Agent, token: string, path: string, body: object) =>
    agent.post(path).set('x-csrf-token', token).set('accept', 'application/json').send(body);

  /** Starts an upload of `bytes` and sends the parts named, as the browser would before it was closed. */
  async function interruptedUpload(partsSent: number[]): Promise<string> {
    const started = await post(alice, aliceToken, '/uploads/videos/start', { ...declared, file });
    expect(started.status).toBe(200);
    await sendParts(started.body.key, partsSent);
    return started.body.key;
  }

  async function sendParts(key: string, partNumbers: number[]) {
    const signed = await post(alice, aliceToken, '/uploads/videos/parts', { key, partNumbers });
    expect(signed.status).toBe(200);
    const etags = [];
    for (const { partNumber, url } of signed.body.parts as Array<{ partNumber: number; url: string }>) {
      const response = await fetch(url, {
        method: 'PUT',
        body: new Uint8Array(bytes.subarray((partNumber - 1) * PART, partNumber * PART)),
      });
      expect(response.status).toBe(200);
      etags.push({ partNumber, etag: response.headers.get('etag') ?? '' });
    }
    return etags;
  }

  it('answers the parts S3 holds, then completes with only the missing part sent', async () => {
    const key = await interruptedUpload([1, 2]);
    const resumed = await post(alice, aliceToken, '/uploads/videos/resume', {
      key,
      ...declared,
      title: 'Holiday, retitled',
      file,
    });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ key, partBytes: PART, partCount: 3 });
    expect(resumed.body.parts.map((part: { partNumber: number }) => part.partNumber)).toEqual([1, 2]);
    const third = await sendParts(key, [3]);
    const completed = await post(alice, aliceToken, '/uploads/videos/complete', {
      key,
      parts: [...resumed.body.parts, ...third],
    });
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    const video = await testApp.db
      .selectFrom('videos')
      .innerJoin('stored_files', 'stored_files.id', 'videos.video_file_id')
      .select(['videos.title', 'stored_files.bytes', 'stored_files.content_type'])
      .where('videos.id', '=', completed.body.videoId)
      .executeTakeFirstOrThrow();
    expect(video).toEqual({ title: 'Holiday, retitled', bytes: bytes.length, content_type: 'video/webm' });
  });

  it('refuses a different file of the same name, and checks the form as a fresh start does', async () => {
    const key = await interruptedUpload([1]);
    for (const other of [
      { ...file, headSha256: createHash('sha256').update('other').digest('hex') },
      { ...file, lastModified: file.lastModified + 1 },
    ]) {
      const refused = await post(alice, aliceToken, '/uploads/videos/resume', { key, ...declared, file: other });
      expect(refused.status).toBe(409);
      expect(refused.body.error).toBe(
        'That is not the file this upload started with: its name, size, date or first bytes differ. Choose the same file to resume, or start a new upload.',
      );
    }
    const resized = await post(alice, aliceToken, '/uploads/videos/resume', {
      key,
      ...declared,
      size: bytes.length + 1,
      file,
    });
    expect(resized.status).toBe(409);
    const untitled = await post(alice, aliceToken, '/uploads/videos/resume', { key, ...declared, title: '', file });
    expect(untitled.status).toBe(422);
    expect(untitled.body.fields.title).toBe('Please give your video a title.');
  });

  it("refuses another member's upload", async () => {
    const key = await interruptedUpload([1]);
    const bob = await signUp(testApp.app, 'bob-resume');
    const refused = await post(bob, await csrfTokenFor(bob, '/videos/new'), '/uploads/videos/resume', {
      key,
      ...declared,
      file,
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('That upload is not yours.');
  });

  it('refuses an upload past its lifetime, and one that S3 no longer knows (aborted by storage:gc)', async () => {
    const expiredKey = await interruptedUpload([1]);
    await sql`update direct_uploads set created_at = now() - interval '25 hours' where key = ${expiredKey}`.execute(
      testApp.db,
    );
    const expired = await post(alice, aliceToken, '/uploads/videos/resume', { key: expiredKey, ...declared, file });
    expect(expired.status).toBe(410);
    expect(expired.body.error).toBe('That upload has expired. Please start again.');

    const abortedKey = await interruptedUpload([1]);
    const row = await testApp.db
      .selectFrom('direct_uploads')
      .select('upload_id')
      .where('key', '=', abortedKey)
      .executeTakeFirstOrThrow();
    const admin = makeS3Client(server);
    await admin.send(
      new AbortMultipartUploadCommand({ Bucket: testApp.bucket, Key: abortedKey, UploadId: row.upload_id ?? '' }),
    );
    admin.destroy();
    const aborted = await post(alice, aliceToken, '/uploads/videos/resume', { key: abortedKey, ...declared, file });
    expect(aborted.status).toBe(410);
    expect(aborted.body.error).toBe('That upload has expired. Please start again.');
    expect(await testApp.db.selectFrom('direct_uploads').select('key').where('key', '=', abortedKey).execute()).toEqual(
      [],
    );
  });
});
