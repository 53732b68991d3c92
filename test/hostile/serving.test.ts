/**
 * HOSTILE-INPUT.md "Serving", lines 11–12, plus the headers and error pages that go with
 * them: local images with their stored type, nosniff, immutable caching and a sandboxing
 * CSP; traversal refused; template output escaped; image URLs only from the app or the
 * configured https origin; HSTS in production only; a 500 page with a request id and no stack.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { csrfTokenFor, signUp, uploadAvatar } from '../support/browserlessMember.ts';
import { captureLogs } from '../support/captureLogs.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';
import { makeMp4 } from '../support/videoFixtures.ts';

const s3 = inject('s3');
const CDN = 'https://cdn.example.test';
const XSS = '"><script>alert(1)</script>';

/** Every URL a page asks the browser to load as an image or media. */
function mediaUrls(html: string): string[] {
  const srcs = [...html.matchAll(/<(?:img|source|video)\b[^>]*?\ssrc="([^"]*)"/g)].map((match) => match[1]!);
  const srcsets = [...html.matchAll(/\ssrcset="([^"]*)"/g)].flatMap((match) =>
    match[1]!.split(', ').map((candidate) => candidate.split(' ')[0]!),
  );
  return [...srcs, ...srcsets];
}

function cspDirective(header: string | undefined, name: string): string[] {
  const directive = (header ?? '')
    .split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${name} `));
  return directive?.split(/\s+/).slice(1) ?? [];
}

describe('local images (no S3)', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp();
  });
  afterAll(async () => testApp?.close());

  it('#11 served with their stored Content-Type, nosniff, immutable caching and a sandboxing CSP', async () => {
    const member = await signUp(testApp.app, 'local');
    expect((await uploadAvatar(member, await makeImage('png', 100, 100), 'me.png', 'image/png')).status).toBe(303);
    const src = /<img id="avatar"[^>]* src="([^"]+)"/.exec((await member.get('/profile')).text)?.[1] ?? '';
    expect(src).toMatch(/^\/static\/avatars\/u\d+-[0-9a-f]{32}\.webp$/);
    const served = await request(testApp.app).get(src);
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toBe('image/webp');
    expect(served.headers['x-content-type-options']).toBe('nosniff');
    expect(served.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(served.headers['content-security-policy']).toContain("default-src 'none'");
    expect(served.headers['content-security-policy']).toContain('sandbox');
    expect(served.headers['set-cookie']).toBeUndefined();
  });

  it.each([
    '/static/avatars/..%2f..%2fpackage.json',
    '/static/avatars/..%2fsecret.txt',
    '/static/avatars/%2e%2e/secret.txt',
    '/static/avatars/%2e%2e%2f%2e%2e%2fpackage.json',
    '/static/avatars/%252e%252e%252fsecret.txt',
    '/static/avatars/..%5csecret.txt',
    '/static/thumbnails/....//secret.txt',
    '/static/avatars/../../src/config.ts',
    '/static/avatars/%00secret.txt',
  ])('#11 traversal %s → 400/403/404, nothing outside the upload folders read', async (attempt) => {
    // A file beside the upload folders, where a traversal would land first.
    await fs.mkdir(path.join(testApp.localDir, 'static', 'avatars'), { recursive: true });
    await fs.writeFile(path.join(testApp.localDir, 'static', 'secret.txt'), 'TOP-SECRET-BESIDE-UPLOADS');
    const response = await request(testApp.app).get(attempt);
    expect([400, 403, 404]).toContain(response.status);
    expect(response.text).not.toContain('TOP-SECRET-BESIDE-UPLOADS');
    expect(response.text).not.toContain('"name": "videovote"');
    expect(response.text).not.toContain('process.env');
    expect((await request(testApp.app).get('/healthz')).status).toBe(200);
  });
});

describe(`pages with images in S3 behind CDN_BASE_URL (${s3.kind})`, () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ s3, extraEnv: { CDN_BASE_URL: CDN } });
  });
  afterAll(async () => testApp?.close());

  it('#12 a username with "><script> is refused at sign-up and echoed as text', async () => {
    const agent = request.agent(testApp.app);
    const token = await csrfTokenFor(agent, '/signup');
    const response = await agent
      .post('/signup')
      .type('form')
      .send({ _csrf: token, username: XSS, password: 'correct horse battery' });
    expect(response.status).toBe(422);
    expect(response.text).toContain('Usernames are 3–30 characters');
    expect(response.text).not.toContain(XSS);
    expect(response.text).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(await testApp.db.selectFrom('users').select('id').where('username', '=', XSS).execute()).toEqual([]);
  });

  it('#12 a title with "><script> renders as text, and every image URL starts with the app path or the https CDN', async () => {
    const member = await signUp(testApp.app, 'escaper');
    expect((await uploadAvatar(member, await makeImage('png', 100, 100), 'a.png', 'image/png')).status).toBe(303);
    const token = await csrfTokenFor(member, '/videos/new');
    const created = await member
      .post('/videos')
      .field('_csrf', token)
      .field('title', XSS)
      .field('description', XSS)
      .field('url', '')
      .attach('thumbnail', await makeImage('png', 320, 180), 't.png')
      .attach('video', makeMp4(20_000), 'v.mp4');
    expect(created.status).toBe(303);
    for (const page of [created.headers.location!, '/', '/users/escaper', '/profile']) {
      const html = (await member.get(page)).text;
      expect(html).not.toContain(XSS);
      if (page !== '/profile') expect(html).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
      const urls = mediaUrls(html);
      expect(urls.length).toBeGreaterThan(0);
      for (const url of urls)
        expect(url.startsWith('/') && !url.startsWith('//') ? true : url.startsWith(`${CDN}/`)).toBe(true);
    }
  });

  it('CSP: images only from the app, data: placeholders and the CDN; scripts only from the app; nosniff; no HSTS outside production', async () => {
    const page = await request(testApp.app).get('/');
    const csp = page.headers['content-security-policy'];
    expect(cspDirective(csp, 'img-src').sort()).toEqual(["'self'", CDN, 'data:'].sort());
    expect(cspDirective(csp, 'script-src')).toEqual(["'self'"]);
    expect(cspDirective(csp, 'object-src')).toEqual(["'none'"]);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['strict-transport-security']).toBeUndefined();
  });
});

describe('production: HSTS and a 500 page without a stack trace', () => {
  let testApp: TestApp;
  const logs = captureLogs();
  beforeAll(async () => {
    testApp = await createTestApp({ extraEnv: { NODE_ENV: 'production' }, logger: logs.logger });
  });
  afterAll(async () => testApp?.close());

  it('sends HSTS and nosniff', async () => {
    const page = await request(testApp.app).get('/login');
    expect(page.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });

  it('echoes a well-formed X-Request-Id, replaces a malformed one, and stamps it on log lines', async () => {
    const echoed = await request(testApp.app).get('/login').set('X-Request-Id', 'render-abc-12345');
    expect(echoed.headers['x-request-id']).toBe('render-abc-12345');
    const replaced = await request(testApp.app).get('/login').set('X-Request-Id', 'bad id with <html>');
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(logs.lines().some((line) => line.reqId === 'render-abc-12345' && line.msg === 'request')).toBe(true);
  });

  it('a failure renders a 500 with the request id and no stack trace, and logs the error with that id', async () => {
    await sql`drop table votes, videos cascade`.execute(testApp.db);
    const page = await request(testApp.app).get('/');
    expect(page.status).toBe(500);
    const requestId = page.headers['x-request-id'];
    expect(page.text).toContain('Something went wrong on our side. Please try again.');
    expect(page.text).toContain(`Request id: <code id="request-id">${requestId}</code>`);
    expect(page.text).not.toMatch(/\bat .+\.(ts|js):\d+/);
    expect(page.text).not.toContain('relation');
    const logged = logs.lines().find((line) => line.msg === 'Request failed');
    expect(logged).toMatchObject({ reqId: requestId, level: 50 });
  });
});

describe('development: the 500 page shows the stack', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ extraEnv: { NODE_ENV: 'development' } });
  });
  afterAll(async () => testApp?.close());

  it('shows the stack trace to the developer', async () => {
    await sql`drop table votes, videos cascade`.execute(testApp.db);
    const page = await request(testApp.app).get('/');
    expect(page.status).toBe(500);
    expect(page.text).toContain('<pre class="stack">');
    expect(page.text).toContain('Request id:');
  });
});
