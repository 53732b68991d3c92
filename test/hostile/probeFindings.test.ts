/**
 * What a security probe found (issue #14): absolute paths in error answers, no
 * Permissions-Policy, /healthz details for anyone, control characters reaching the database
 * (on PGlite and, with TEST_DATABASE_URL, PostgreSQL). Each test sends what the probe sent.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { csrfTokenFor, signUp, TEST_PASSWORD } from '../support/browserlessMember.ts';
import { captureLogs } from '../support/captureLogs.ts';
import {
  availableDatabases,
  createTestApp,
  HEALTHZ_AUTH,
  TEST_HEALTHZ_TOKEN,
  type TestApp,
} from '../support/testApp.ts';

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

describe.each(availableDatabases(inject('databaseUrlAvailable')))('control characters with %s', (database) => {
  let testApp: TestApp;
  let logs: ReturnType<typeof captureLogs>;
  beforeAll(async () => {
    logs = captureLogs();
    testApp = await createTestApp({ database, logger: logs.logger });
  });
  afterAll(async () => testApp?.close());

  const errorsLogged = () => logs.lines().filter((line) => line.level >= 50);

  it.each([
    '/users/%00',
    '/users/al%00ice',
    '/users/a%1Bb',
    '/videos/%00',
    '/videos/1%00',
    '/media/avatars/%00.webp',
    '/static/avatars/%7F.webp',
  ])('GET %s → 404 with our sentence, nothing logged as an error', async (url) => {
    const response = await request(testApp.app).get(url);
    expect(response.status).toBe(404);
    expect(response.text).toContain('We could not find that page.');
    expect(errorsLogged()).toEqual([]);
  });

  it.each([
    ['title', { title: 'Nul\u0000title' }, 'Titles cannot contain control characters'],
    ['title', { title: 'Escape \u001b[31m red' }, 'Titles cannot contain control characters'],
    ['description', { description: 'line\u0000break' }, 'Descriptions cannot contain control characters'],
    ['url', { url: 'https://example.com/\u0000' }, 'Links cannot contain control characters'],
  ])(
    'a video form whose %s holds a control character → 422 with the sentence, the rest kept',
    async (_field, fields, sentence) => {
      const member = await signUp(testApp.app, `nul${Math.random().toString(36).slice(2, 8)}`);
      const token = await csrfTokenFor(member, '/videos/new');
      const values = { title: 'A fine title', description: 'Kept words', url: 'https://example.com/v', ...fields };
      const response = await member
        .post('/videos')
        .field('_csrf', token)
        .field('title', values.title)
        .field('description', values.description)
        .field('url', values.url);
      expect(response.status).toBe(422);
      expect(response.text).toContain(sentence);
      // What the member typed is still in the form (the field at fault aside).
      expect(response.text).toContain(values.description === 'Kept words' ? 'Kept words' : 'A fine title');
      expect(await testApp.db.selectFrom('videos').selectAll().execute()).toEqual([]);
      expect(errorsLogged()).toEqual([]);
    },
  );

  it('keeps tabs and line breaks in a description', async () => {
    const member = await signUp(testApp.app, 'multiline');
    const token = await csrfTokenFor(member, '/videos/new');
    const response = await member
      .post('/videos')
      .field('_csrf', token)
      .field('title', 'Lines')
      .field('description', 'first line\r\nsecond\tline')
      .field('url', 'https://example.com/lines');
    expect(response.status).toBe(303);
    const [video] = await testApp.db.selectFrom('videos').select('description').execute();
    expect(video?.description).toBe('first line\r\nsecond\tline');
  });

  it('a login name holding NUL → 422 with the sentence on the login form, never a database error', async () => {
    const agent = request.agent(testApp.app);
    const token = await csrfTokenFor(agent, '/login');
    const response = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: token, username: 'ali\u0000ce', password: 'whatever-password' });
    expect(response.status).toBe(422);
    expect(response.text).toContain('Usernames cannot contain control characters');
    expect(response.text).toContain('value="alice"');
    expect(errorsLogged()).toEqual([]);
  });

  it('a sign-up name holding NUL → 422 with the username rule', async () => {
    const agent = request.agent(testApp.app);
    const token = await csrfTokenFor(agent, '/signup');
    const response = await agent
      .post('/signup')
      .type('form')
      .send({ _csrf: token, username: 'bob\u0000', password: TEST_PASSWORD });
    expect(response.status).toBe(422);
    expect(response.text).toContain('Usernames are 3–30 characters');
    expect(errorsLogged()).toEqual([]);
  });

  it('a login whose next= holds a control character goes to the profile instead of a broken redirect', async () => {
    await signUp(testApp.app, 'nextnul');
    const agent = request.agent(testApp.app);
    const token = await csrfTokenFor(agent, '/login?next=/%00');
    const response = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: token, username: 'nextnul', password: TEST_PASSWORD, next: '/\u0000evil' });
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/profile');
    expect(errorsLogged()).toEqual([]);
  });
});

describe('sign-ups per IP (SIGNUPS_PER_IP_PER_HOUR=3)', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    // One proxy hop, as on Render, so X-Forwarded-For names the client.
    testApp = await createTestApp({ extraEnv: { SIGNUPS_PER_IP_PER_HOUR: '3', TRUST_PROXY_HOPS: '1' } });
  });
  afterAll(async () => testApp?.close());

  async function signUpFrom(ip: string, username: string) {
    const agent = request.agent(testApp.app);
    const token = await csrfTokenFor(agent, '/signup');
    return agent
      .post('/signup')
      .set('X-Forwarded-For', ip)
      .type('form')
      .send({ _csrf: token, username, password: TEST_PASSWORD });
  }

  it('counts successful sign-ups too: the fourth from one IP → 429 with Retry-After and the sentence on the form', async () => {
    for (const name of ['first', 'second', 'third']) expect((await signUpFrom('203.0.113.7', name)).status).toBe(303);
    const refused = await signUpFrom('203.0.113.7', 'fourth-name');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.text).toContain('Too many accounts were created from your network. Please wait');
    expect(refused.text).toContain('<form method="post" action="/signup"');
    expect(refused.text).toContain('value="fourth-name"');
    const names = await testApp.db.selectFrom('users').select('username').execute();
    expect(names.map((row) => row.username).sort()).toEqual(['first', 'second', 'third']);
  });

  it('leaves other clients their own budget', async () => {
    expect((await signUpFrom('198.51.100.20', 'elsewhere')).status).toBe(303);
  });
});
