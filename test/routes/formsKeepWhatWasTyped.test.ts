/**
 * Issue #12 through HTTP: every refusal of a form comes back on that form with what was typed
 * — too large (413, refused by its declared length before the body is read), too fast (429),
 * a lapsed session (back on the form after logging in) and a stale CSRF token (a fresh token,
 * not a dead end) — and the upload rate limit counts uploads only.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfTokenFor, csrfTokenIn, signUp, TEST_PASSWORD } from '../support/browserlessMember.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { listenOnLoopback } from '../support/listen.ts';
import { multipart, postPartialBody } from '../support/rawUpload.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';

const TITLE = 'Sunset over the harbour';
const DESCRIPTION = 'Filmed from the ferry, 7 pm.\nhttps://example.com/a/very/long/pasted/link?with=query&and=more';

describe('forms keep what was typed', () => {
  let testApp: TestApp;
  let server: Awaited<ReturnType<typeof listenOnLoopback>>;
  beforeAll(async () => {
    testApp = await createTestApp({ extraEnv: { UPLOADS_PER_MINUTE: '2', MAX_VIDEO_SIZE_MB: '1' } });
    server = await listenOnLoopback(testApp.app);
  });
  afterAll(async () => {
    await server?.close();
    await testApp?.close();
  });

  it('413 by declared length: the form comes back with the title and description, before the file is read', async () => {
    const member = await signUp(testApp.app, 'big-sender');
    const token = await csrfTokenFor(member, '/videos/new');
    const head = multipart(
      [
        { name: '_csrf', body: token },
        { name: 'title', body: TITLE },
        { name: 'description', body: DESCRIPTION },
        { name: 'url', body: '' },
        { name: 'video', filename: 'clip.mp4', contentType: 'video/mp4', body: Buffer.alloc(64 * 1024, 1) },
      ],
      { close: false },
    );
    const cookie = (await member.get('/videos/new')).request.cookies as unknown as string;
    const response = await postPartialBody(`${server.origin}/videos`, {
      cookie,
      sent: head,
      declaredLength: 50 * 1024 * 1024,
    });
    expect(response.status).toBe(413);
    expect(response.text).toContain('That file is too large. Videos can be at most 1 MB.');
    expect(response.text).toContain(`value="${TITLE}"`);
    expect(response.text).toContain('Filmed from the ferry, 7 pm.');
    expect(response.text).toContain('<a href="#video-file">That file is too large.');
  });

  it('counts uploads only: link submissions and forms refused for a missing title are free; the 429 keeps what was typed', async () => {
    const member = await signUp(testApp.app, 'rate-counted');
    const send = async (fields: Record<string, string>, thumbnail?: Buffer) => {
      const token = await csrfTokenFor(member, '/videos/new');
      let post = member.post('/videos').field('_csrf', token);
      for (const [name, value] of Object.entries(fields)) post = post.field(name, value);
      if (thumbnail) post = post.attach('thumbnail', thumbnail, { filename: 't.png', contentType: 'image/png' });
      return post;
    };
    const thumbnail = await makeImage('png', 320, 180);
    // Four requests that store no file, as multipart (the plain form) and URL-encoded (the script's way).
    expect((await send({ title: '', url: 'https://example.com/1' }, thumbnail)).status).toBe(422);
    expect((await send({ title: 'Link one', url: 'https://example.com/1' })).status).toBe(303);
    const token = await csrfTokenFor(member, '/videos/new');
    const encoded = await member
      .post('/videos')
      .type('form')
      .send({ _csrf: token, title: 'Link two', url: 'https://example.com/2' });
    expect(encoded.status).toBe(303);
    expect((await send({ title: '', url: '' })).status).toBe(422);
    // The budget of two uploads is still whole.
    expect((await send({ title: 'With a thumbnail', url: 'https://example.com/3' }, thumbnail)).status).toBe(303);
    expect((await send({ title: 'Another', url: 'https://example.com/4' }, thumbnail)).status).toBe(303);
    const refused = await send({ title: TITLE, description: DESCRIPTION, url: 'https://example.com/5' }, thumbnail);
    expect(refused.status).toBe(429);
    expect(refused.text).toContain('You are uploading too fast.');
    expect(refused.text).toContain(`value="${TITLE}"`);
    expect(refused.text).toContain('value="https://example.com/5"');
    expect(refused.text).toContain('Filmed from the ferry, 7 pm.');
  });

  it('a lapsed session: the login form carries what was typed, and the form comes back filled in after logging in', async () => {
    await signUp(testApp.app, 'lapsed-member');
    const stranger = request.agent(testApp.app);
    // The member's session is gone; the form still sends its old token and its fields.
    const refused = await stranger
      .post('/videos')
      .field('_csrf', 'from-the-lapsed-session')
      .field('title', TITLE)
      .field('description', DESCRIPTION)
      .field('url', 'https://example.com/lapsed');
    expect(refused.status).toBe(401);
    expect(refused.text).toContain('Please log in first.');
    expect(refused.text).toContain('name="next" value="/videos/new"');
    const restore = /name="restore" value="([^"]+)"/.exec(refused.text)?.[1];
    expect(restore).toBeDefined();

    const loggedIn = await stranger
      .post('/login')
      .type('form')
      .send({
        _csrf: csrfTokenIn(refused.text),
        username: 'lapsed-member',
        password: TEST_PASSWORD,
        next: '/videos/new',
        restore: restore!.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&amp;', '&'),
      });
    expect(loggedIn.status).toBe(303);
    expect(loggedIn.headers.location).toBe('/videos/new');
    const form = await stranger.get('/videos/new');
    expect(form.text).toContain(`value="${TITLE}"`);
    expect(form.text).toContain('value="https://example.com/lapsed"');
    expect(form.text).toContain('Filmed from the ferry, 7 pm.');
    expect(form.text).toContain('You are logged in again.');
    // Taken once: the next visit is an empty form.
    expect((await stranger.get('/videos/new')).text).not.toContain(`value="${TITLE}"`);
  });

  it('a stale CSRF token re-renders the form with what was typed and a fresh token, which then works', async () => {
    const member = await signUp(testApp.app, 'stale-token');
    const refused = await member
      .post('/videos')
      .field('_csrf', 'stale')
      .field('title', TITLE)
      .field('description', DESCRIPTION)
      .field('url', 'https://example.com/stale');
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('This form has expired or was not sent from VideoVote. Nothing was saved');
    expect(refused.text).toContain(`value="${TITLE}"`);
    const fresh = csrfTokenIn(refused.text);
    expect(fresh).not.toBe('stale');
    const again = await member
      .post('/videos')
      .field('_csrf', fresh)
      .field('title', TITLE)
      .field('url', 'https://example.com/stale');
    expect(again.status).toBe(303);

    const signup = await request
      .agent(testApp.app)
      .post('/signup')
      .type('form')
      .send({ _csrf: 'stale', username: 'kept-name', password: 'x' });
    expect(signup.status).toBe(403);
    expect(signup.text).toContain('value="kept-name"');
    expect(signup.text).toContain('Nothing was saved');
    const login = await request
      .agent(testApp.app)
      .post('/login')
      .type('form')
      .send({ _csrf: 'stale', username: 'kept-name', password: 'x' });
    expect(login.status).toBe(403);
    expect(login.text).toContain('value="kept-name"');
  });

  it('a vote or a log-out from a stale page is no dead end: the page again, a fresh token, which then works', async () => {
    const owner = await signUp(testApp.app, 'stale-voter');
    const created = await owner
      .post('/videos')
      .field('_csrf', await csrfTokenFor(owner, '/videos/new'))
      .field('title', 'Vote for me')
      .field('url', 'https://example.com/vote-me');
    const videoPath = created.headers.location as string;
    expect(videoPath).toMatch(/^\/videos\/\d+$/);

    const refusedVote = await owner.post(`${videoPath}/vote`).type('form').send({ _csrf: 'stale' });
    expect(refusedVote.status).toBe(403);
    expect(refusedVote.text).toContain(
      'Your vote was not counted: the page had expired. It is fresh now — press Vote again.',
    );
    expect(refusedVote.text).toContain('<span id="vote-count">0</span>');
    const voteToken = csrfTokenIn(refusedVote.text);
    expect(voteToken).not.toBe('stale');
    const counted = await owner.post(`${videoPath}/vote`).type('form').send({ _csrf: voteToken });
    expect(counted.status).toBe(303);
    expect((await owner.get(videoPath)).text).toContain('<span id="vote-count">1</span>');

    const refusedLogout = await owner.post('/logout').type('form').send({ _csrf: 'stale' });
    expect(refusedLogout.status).toBe(403);
    expect(refusedLogout.text).toContain('This page had expired, so you are still logged in.');
    expect((await owner.get('/profile')).status).toBe(200);
    const loggedOut = await owner
      .post('/logout')
      .type('form')
      .send({ _csrf: csrfTokenIn(refusedLogout.text) });
    expect(loggedOut.status).toBe(303);
    expect((await owner.get('/profile')).status).toBe(302);
    // Signed out already: a stale log-out simply goes home.
    expect((await owner.post('/logout').type('form').send({ _csrf: 'stale' })).headers.location).toBe('/');
  });
});
