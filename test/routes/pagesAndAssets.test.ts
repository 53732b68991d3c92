/**
 * Issue #12 through HTTP: compressed pages and scripts, fingerprinted assets cached for a
 * year, a meta description on every page, a quiet 404, confirmation pages before deleting,
 * votes answered as JSON for the script, and refusals that name SVG and HEIC.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfTokenFor, signUp, TEST_PASSWORD, type Agent } from '../support/browserlessMember.ts';
import { heicHeader } from '../support/hostileImages.ts';
import { NOT_AN_IMAGE } from '../support/imageFixtures.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';

async function submitLink(agent: Agent, title: string): Promise<number> {
  const token = await csrfTokenFor(agent, '/videos/new');
  const response = await agent.post('/videos').type('form').send({ _csrf: token, title, url: 'https://example.com/v' });
  expect(response.status).toBe(303);
  return Number(response.headers.location?.split('/').pop());
}

describe('pages and assets', () => {
  let testApp: TestApp;
  let owner: Agent;
  let videoId: number;
  beforeAll(async () => {
    testApp = await createTestApp();
    owner = await signUp(testApp.app, 'page-owner');
    videoId = await submitLink(owner, 'A video to look at');
  });
  afterAll(async () => testApp?.close());

  it('sends pages, CSS and JS compressed, and assets under fingerprinted names with a year-long immutable cache', async () => {
    const home = await request(testApp.app).get('/').set('Accept-Encoding', 'gzip');
    expect(home.headers['content-encoding']).toBe('gzip');
    const css = /href="(\/static\/css\/app\.[0-9a-f]{12}\.css)"/.exec(home.text)?.[1];
    expect(css).toBeDefined();
    const asset = await request(testApp.app).get(css!).set('Accept-Encoding', 'gzip');
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-encoding']).toBe('gzip');
    expect(asset.headers['content-type']).toMatch(/^text\/css/);

    const profile = await owner.get('/profile');
    const scripts = [...profile.text.matchAll(/<script src="([^"]+)"/g)].map((match) => match[1]);
    expect(scripts.length).toBeGreaterThanOrEqual(4);
    for (const src of scripts) expect(src).toMatch(/^\/static\/js\/[A-Za-z]+\.[0-9a-f]{12}\.js$/);
    // A name with a hash that is not the file's is not served as immutable.
    expect((await request(testApp.app).get('/static/css/app.000000000000.css')).status).toBe(404);
    expect((await request(testApp.app).get('/static/css/app.css')).headers['cache-control']).toBe(
      'public, max-age=3600',
    );
  });

  it('gives every page a meta description, and a 404 without an alert or a request id', async () => {
    for (const path of ['/', '/signup', '/login', `/videos/${videoId}`, '/users/page-owner']) {
      const page = await request(testApp.app).get(path);
      expect(page.text, path).toMatch(/<meta name="description" content="[^"]{20,}">/);
    }
    const missing = await request(testApp.app).get('/no-such-page');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('We could not find that page.');
    expect(missing.text).not.toContain('role="alert"');
    expect(missing.text).not.toContain('Request id');
    expect(missing.text).toContain('<title>Page not found · VideoVote</title>');
  });

  it('asks before deleting a video (a page without JavaScript) and says so afterwards', async () => {
    const id = await submitLink(owner, 'Soon gone');
    const confirm = await owner.get(`/videos/${id}/delete`);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('Delete “Soon gone”?');
    expect(confirm.text).toContain(`action="/videos/${id}/delete"`);
    expect((await testApp.db.selectFrom('videos').where('id', '=', id).select('id').execute()).length).toBe(1);
    const other = await signUp(testApp.app, 'not-the-owner');
    expect((await other.get(`/videos/${id}/delete`)).status).toBe(403);

    const deleted = await owner
      .post(`/videos/${id}/delete`)
      .type('form')
      .send({ _csrf: await csrfTokenFor(owner, `/videos/${id}/delete`) });
    expect(deleted.status).toBe(303);
    expect((await owner.get('/profile')).text).toContain('“Soon gone” was deleted, with its thumbnail and votes.');
  });

  it('asks before deleting the account, with a password field no manager fills in, and says goodbye on the front page', async () => {
    const leaving = await signUp(testApp.app, 'leaving-member');
    const profile = await leaving.get('/profile');
    expect(profile.text).toContain('href="/profile/delete"');
    expect(profile.text).not.toContain('autocomplete="current-password"');
    const confirm = await leaving.get('/profile/delete');
    expect(confirm.text).toContain('Delete your account?');
    expect(confirm.text).toContain('autocomplete="off"');
    const stale = await leaving.post('/profile/delete').type('form').send({ _csrf: 'stale', password: TEST_PASSWORD });
    expect(stale.status).toBe(403);
    expect(stale.text).toContain('Delete your account?');
    expect(stale.text).toContain('This form has expired or was not sent from VideoVote. Nothing was saved');
    const token = await csrfTokenFor(leaving, '/profile/delete');
    const wrong = await leaving.post('/profile/delete').type('form').send({ _csrf: token, password: 'not it' });
    expect(wrong.status).toBe(403);
    expect(wrong.text).toContain('<a href="#confirm-password">That password is not right');
    const gone = await leaving.post('/profile/delete').type('form').send({ _csrf: token, password: TEST_PASSWORD });
    expect(gone.status).toBe(303);
    expect(gone.headers.location).toBe('/');
    const home = await leaving.get('/');
    expect(home.text).toContain('Your account “leaving-member” and everything in it');
    expect(home.text).toContain('href="/login"');
  });

  it('answers a vote as JSON for the script, and shows the viewer their votes on the front page', async () => {
    const voter = await signUp(testApp.app, 'json-voter');
    const token = await csrfTokenFor(voter, '/');
    const voted = await voter
      .post(`/videos/${videoId}/vote`)
      .set('Accept', 'application/json')
      .type('form')
      .send({ _csrf: token });
    expect(voted.status).toBe(200);
    expect(voted.body).toEqual({ voted: true, voteCount: 1 });
    const home = await voter.get('/');
    expect(home.text).toMatch(
      /class="vote-button voted" aria-pressed="true"><span aria-hidden="true">▲ <\/span><span data-vote-label>Voted<\/span><span class="visually-hidden"> for “A video to look at”/,
    );
    expect(home.text).toContain('<span data-vote-count>1</span> <span data-vote-noun>vote</span>');
    const anonymous = await request(testApp.app).get('/');
    expect(anonymous.text).not.toContain('data-vote-form');
    expect(anonymous.headers['set-cookie']).toBeUndefined();
    const back = await voter
      .post(`/videos/${videoId}/vote`)
      .set('Accept', 'application/json')
      .type('form')
      .send({ _csrf: token });
    expect(back.body).toEqual({ voted: false, voteCount: 0 });
  });

  it('names SVG and HEIC in the refusal, with how to send a JPEG from an iPhone', async () => {
    const token = await csrfTokenFor(owner, '/profile');
    const svg = await owner
      .post('/profile/avatar')
      .field('_csrf', token)
      .attach('avatar', NOT_AN_IMAGE.svg, { filename: 'logo.svg', contentType: 'image/svg+xml' });
    expect(svg.status).toBe(415);
    expect(svg.text).toContain('That file is an SVG file, not an image we accept.');
    const heic = await owner
      .post('/profile/avatar')
      .field('_csrf', token)
      .attach('avatar', heicHeader(), { filename: 'IMG_0001.HEIC', contentType: 'image/heic' });
    expect(heic.status).toBe(415);
    expect(heic.text).toContain(
      'That file is a HEIC file, not an image we accept. iPhones save photos as HEIC: share the photo as JPEG',
    );
    // The same sentences travel to the browser's own check.
    expect((await owner.get('/profile')).text).toContain(
      'That file is a HEIC file, not an image we accept. iPhones save photos as HEIC',
    );
  });
});
