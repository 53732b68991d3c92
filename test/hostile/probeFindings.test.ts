/**
 * What a security probe found (issue #14): absolute paths in error answers, no
 * Permissions-Policy, /healthz details for anyone. Each test sends what the probe sent.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, HEALTHZ_AUTH, TEST_HEALTHZ_TOKEN, type TestApp } from '../support/testApp.ts';

describe('security probe findings', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ extraEnv: { NODE_ENV: 'production', TRUST_PROXY_HOPS: '0' } });
  });
  afterAll(async () => testApp?.close());

  it.each([
    ['ENOENT', '/static/avatars/foo.webp'],
    ['ENOTDIR', '/static/avatars/u1-file.webp/inside.webp'],
    ['ENAMETOOLONG', `/static/avatars/${'a'.repeat(300)}.webp`],
  ])('a missing upload (%s) answers 404 with our sentence, never a path, in production too', async (_code, url) => {
    // A file where ENOTDIR needs one, so the probe's second case really reaches stat().
    await fs.mkdir(path.join(testApp.localDir, 'static', 'avatars'), { recursive: true });
    await fs.writeFile(path.join(testApp.localDir, 'static', 'avatars', 'u1-file.webp'), 'x');
    for (const accept of ['application/json', 'text/html']) {
      const response = await request(testApp.app).get(url).set('Accept', accept);
      expect(response.status).toBe(404);
      expect(response.text).toContain('We could not find that page.');
      expect(response.text).not.toContain(testApp.localDir);
      expect(response.text).not.toMatch(/ENOENT|ENOTDIR|ENAMETOOLONG|stat '|\/tmp\//);
    }
  });

  it('keeps library wording out of other 4xx answers too (a malformed form body)', async () => {
    const response = await request(testApp.app)
      .post('/login')
      .set('Accept', 'application/json')
      .type('form')
      .send('a=1&'.repeat(40));
    expect(response.status).toBe(413);
    expect(response.body.error).toBe('That request is too large.');
  });

  it.each(['/', '/healthz', '/static/css/app.css', '/no-such-page', '/static/avatars/missing.webp'])(
    'sends Permissions-Policy with camera, microphone and geolocation off on %s',
    async (url) => {
      const response = await request(testApp.app).get(url);
      const policy = response.headers['permissions-policy'] ?? '';
      for (const feature of ['camera', 'microphone', 'geolocation', 'payment', 'usb', 'display-capture'])
        expect(policy).toContain(`${feature}=()`);
      expect(policy).not.toContain('fullscreen');
    },
  );

  it('tells anonymous /healthz callers the status only', async () => {
    await testApp.storageHealth.refresh();
    for (const headers of [
      {},
      { Authorization: 'Bearer wrong-token-of-some-length' },
      { Authorization: TEST_HEALTHZ_TOKEN },
    ]) {
      const response = await request(testApp.app).get('/healthz').set(headers);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ok' });
    }
  });

  it('gives the details to a caller with HEALTHZ_TOKEN', async () => {
    const response = await request(testApp.app).get('/healthz').set(HEALTHZ_AUTH);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'ok', storage: { mode: 'local', pending: { count: 0 }, lost: 0 } });
  });
});

describe('/healthz without HEALTHZ_TOKEN', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ extraEnv: { HEALTHZ_TOKEN: '' } });
  });
  afterAll(async () => testApp?.close());

  it('gives nobody the details, whatever token is sent', async () => {
    for (const authorization of ['Bearer ', 'Bearer undefined', `Bearer ${TEST_HEALTHZ_TOKEN}`]) {
      const response = await request(testApp.app).get('/healthz').set('Authorization', authorization);
      expect(response.body).toEqual({ status: 'ok' });
    }
  });
});
