/**
 * The direct video upload endpoints through HTTP, as production wires them: a member and the
 * CSRF header are required on every one, starting counts against the upload rate limit (parts
 * do not), refusals come back as JSON with the reason, and the video form carries the marker
 * the script looks for only when direct uploads are on.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import request from 'supertest';
import { csrfTokenFor, signUp } from '../support/browserlessMember.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';

const server = inject('s3');
const START = { title: 'A clip', description: '', contentType: 'video/webm', size: 1000 };

describe('direct video upload routes', () => {
  let testApp: TestApp;
  let localOnly: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ s3: server, extraEnv: { UPLOADS_PER_MINUTE: '2' } });
    localOnly = await createTestApp();
  });
  afterAll(async () => {
    await testApp?.close();
    await localOnly?.close();
  });

  it('needs a member and the CSRF token', async () => {
    expect(
      (await request(testApp.app).post('/uploads/videos/start').set('accept', 'application/json').send(START)).status,
    ).toBe(403);
    const member = await signUp(testApp.app, 'no-token');
    const refused = await member.post('/uploads/videos/start').send(START);
    expect(refused.status).toBe(403);
    expect(await testApp.db.selectFrom('direct_uploads').select('key').execute()).toEqual([]);
  });

  it('starts within the rate limit, signs parts without counting them, and answers refusals with a reason', async () => {
    const member = await signUp(testApp.app, 'starter');
    const token = await csrfTokenFor(member, '/videos/new');
    const started = await member.post('/uploads/videos/start').set('x-csrf-token', token).send(START);
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({
      key: expect.stringMatching(/^incoming\/u\d+\/[0-9a-f]{32}$/),
      partCount: 1,
      partBytes: 8 * 1024 * 1024,
    });
    for (let i = 0; i < 3; i++) {
      const signed = await member
        .post('/uploads/videos/parts')
        .set('x-csrf-token', token)
        .send({ key: started.body.key, partNumbers: [1] });
      expect(signed.status).toBe(200);
      expect(signed.body.parts[0].url).toContain('X-Amz-SignedHeaders=content-length%3Bhost');
    }
    const untitled = await member
      .post('/uploads/videos/start')
      .set('x-csrf-token', token)
      .send({ ...START, title: '' });
    expect(untitled.status).toBe(422);
    expect(untitled.body.fields.title).toBe('Please give your video a title.');
    // The script asks for JSON, so a refusal's reason can be shown next to the progress bar.
    const third = await member
      .post('/uploads/videos/start')
      .set('x-csrf-token', token)
      .set('accept', 'application/json')
      .send(START);
    expect(third.status).toBe(429);
    expect(third.body.error).toMatch(/uploading too fast/);
    expect(
      (await member.post('/uploads/videos/abort').set('x-csrf-token', token).send({ key: started.body.key })).body,
    ).toEqual({ cancelled: true });
  });

  it('marks the video form for the script only when direct uploads are on', async () => {
    const withS3 = await signUp(testApp.app, 'form-s3');
    expect((await withS3.get('/videos/new')).text).toContain('data-direct-video-upload');
    const withoutS3 = await signUp(localOnly.app, 'form-local');
    const page = (await withoutS3.get('/videos/new')).text;
    expect(page).not.toContain('data-direct-video-upload');
    expect(page).not.toContain('directVideoUpload.js');
    expect(
      (
        await withoutS3
          .post('/uploads/videos/start')
          .set('x-csrf-token', await csrfTokenFor(withoutS3, '/videos/new'))
          .send(START)
      ).status,
    ).toBe(404);
  });
});
