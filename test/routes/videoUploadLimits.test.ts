/**
 * Large and broken video uploads: an oversized file is refused with 413 and a client that
 * gives up halfway leaves no temp file, object or row. A 1 MB limit stands in for the
 * 200 MB default so the test stays quick; the code path is the same.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/testApp.js';
import { csrfTokenFor, signUp, type Agent } from '../support/browserlessMember.js';
import { makeMp4 } from '../support/videoFixtures.js';
import { storedState } from '../support/storedState.js';
import { listenOnLoopback } from '../support/listen.js';

const s3 = inject('s3');

describe('video upload limits', () => {
  let testApp: TestApp;
  let member: Agent;
  beforeAll(async () => {
    testApp = await createTestApp({ s3, extraEnv: { MAX_VIDEO_SIZE_MB: '1' } });
    member = await signUp(testApp.app, 'uploader');
  });
  afterAll(async () => testApp?.close());

  it('refuses a video over the limit with 413 next to the video field, storing nothing', async () => {
    const before = await storedState(testApp, s3);
    const token = await csrfTokenFor(member, '/videos/new');
    const response = await member
      .post('/videos')
      .field('_csrf', token)
      .field('title', 'Too long')
      .field('url', '')
      .attach('video', makeMp4(2 * 1024 * 1024), 'long.mp4');
    expect(response.status).toBe(413);
    expect(response.text).toContain('That file is too large. Videos can be at most 1 MB.');
    expect(response.text).toContain('value="Too long"');
    expect(await storedState(testApp, s3)).toEqual(before);
  });

  it('leaves nothing behind when the client aborts mid-upload', async () => {
    const server = await listenOnLoopback(testApp.app);
    try {
      const token = await csrfTokenFor(member, '/videos/new');
      const cookie = (await member.get('/videos/new')).request.cookies;
      const before = await storedState(testApp, s3);
      const boundary = '----vvabort';
      const head = [
        `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n`,
        `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nAborted\r\n`,
        `--${boundary}\r\nContent-Disposition: form-data; name="video"; filename="a.mp4"\r\nContent-Type: video/mp4\r\n\r\n`,
      ].join('');
      const request = http.request(`${server.origin}/videos`, {
        method: 'POST',
        headers: { cookie, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(900 * 1024) },
      });
      request.on('error', () => undefined);
      request.write(head);
      request.write(makeMp4(300 * 1024));
      await sleep(300);
      // The upload really was being spooled when the client went away.
      expect((await storedState(testApp, s3)).tempFiles).toHaveLength(1);
      request.destroy();
      await sleep(500);
      expect(await storedState(testApp, s3)).toEqual(before);
      expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
