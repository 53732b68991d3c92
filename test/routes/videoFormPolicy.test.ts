/**
 * The video form's page lets its script play the member's own file from a blob: URL (to draw
 * a thumbnail from it); no other page's media-src widens, and the form keeps that policy when
 * it is shown again with an error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfTokenFor, signUp, type Agent } from '../support/browserlessMember.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';

const mediaSrc = (policy: string | undefined) =>
  (policy ?? '')
    .split(';')
    .map((directive) => directive.trim().split(/\s+/))
    .find(([name]) => name === 'media-src')
    ?.slice(1);

describe('media-src of the video form', () => {
  let testApp: TestApp;
  let member: Agent;
  beforeAll(async () => {
    testApp = await createTestApp();
    member = await signUp(testApp.app, 'policy');
  });
  afterAll(async () => testApp?.close());

  it('adds blob: on the form and its error page only', async () => {
    expect(mediaSrc((await member.get('/videos/new')).headers['content-security-policy'])).toEqual(["'self'", 'blob:']);
    const refused = await member
      .post('/videos')
      .type('form')
      .send({ _csrf: await csrfTokenFor(member, '/videos/new'), title: '', url: '' });
    expect(refused.status).toBe(422);
    expect(mediaSrc(refused.headers['content-security-policy'])).toEqual(["'self'", 'blob:']);
    expect(mediaSrc((await member.get('/')).headers['content-security-policy'])).toEqual(["'self'"]);
    expect(mediaSrc((await member.get('/profile')).headers['content-security-policy'])).toEqual(["'self'"]);
  });
});
