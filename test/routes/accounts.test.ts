/** Sign-up, log-in, log-out and CSRF, through HTTP against every available database. */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { availableDatabases, createTestApp, type TestApp } from '../support/testApp.ts';
import { csrfTokenFor, signUp, TEST_PASSWORD } from '../support/browserlessMember.ts';

describe.each(availableDatabases(inject('databaseUrlAvailable')))('accounts on %s', (database) => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ database });
  });
  afterAll(async () => testApp?.close());

  it('signs up, shows the member in the header, and keeps them logged in', async () => {
    const agent = await signUp(testApp.app, 'alice');
    const profile = await agent.get('/profile');
    expect(profile.status).toBe(200);
    expect(profile.text).toContain('alice');
    expect(profile.text).toContain('/static/img/avatars-placeholder.svg');
  });

  it('shows field errors and keeps what was typed', async () => {
    const agent = request.agent(testApp.app);
    const token = await csrfTokenFor(agent, '/signup');
    const response = await agent.post('/signup').type('form').send({ _csrf: token, username: 'x!', password: 'short' });
    expect(response.status).toBe(422);
    expect(response.text).toContain('Usernames are 3–30 characters');
    expect(response.text).toContain('Passwords need at least 8 characters');
    expect(response.text).toContain('value="x!"');
  });

  it('refuses a username that differs only by case', async () => {
    await signUp(testApp.app, 'Bobby');
    const agent = request.agent(testApp.app);
    const token = await csrfTokenFor(agent, '/signup');
    const response = await agent
      .post('/signup')
      .type('form')
      .send({ _csrf: token, username: 'bobby', password: TEST_PASSWORD });
    expect(response.status).toBe(422);
    expect(response.text).toContain('That username is taken');
  });

  it('logs in with the right password only, with a fresh session id', async () => {
    await signUp(testApp.app, 'carol');
    const agent = request.agent(testApp.app);
    const token = await csrfTokenFor(agent, '/login');
    const wrong = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: token, username: 'carol', password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('Wrong username or password.');

    const before = (await agent.get('/login')).headers['set-cookie'];
    const right = await agent
      .post('/login')
      .type('form')
      .send({
        _csrf: await csrfTokenFor(agent, '/login'),
        username: 'CAROL',
        password: TEST_PASSWORD,
        next: '/users/carol',
      });
    expect(right.status).toBe(303);
    expect(right.headers.location).toBe('/users/carol');
    expect(right.headers['set-cookie']).toBeDefined();
    expect(right.headers['set-cookie']).not.toEqual(before);
  });

  it('never redirects off-site after login', async () => {
    await signUp(testApp.app, 'dave');
    const agent = request.agent(testApp.app);
    const token = await csrfTokenFor(agent, '/login');
    const response = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: token, username: 'dave', password: TEST_PASSWORD, next: '//evil.example' });
    expect(response.headers.location).toBe('/profile');
  });

  it('rejects a form without a valid CSRF token with 403', async () => {
    const agent = request.agent(testApp.app);
    await agent.get('/signup');
    const missing = await agent.post('/signup').type('form').send({ username: 'mallory', password: TEST_PASSWORD });
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('This form has expired or was not sent from VideoVote');
    const forged = await agent
      .post('/signup')
      .type('form')
      .send({ _csrf: 'forged', username: 'mallory', password: TEST_PASSWORD });
    expect(forged.status).toBe(403);
  });

  it('logs out, and the profile then asks to log in', async () => {
    const agent = await signUp(testApp.app, 'erin');
    const token = await csrfTokenFor(agent, '/profile');
    expect((await agent.post('/logout').type('form').send({ _csrf: token })).status).toBe(303);
    const profile = await agent.get('/profile');
    expect(profile.status).toBe(302);
    expect(profile.headers.location).toBe('/login?next=%2Fprofile');
  });

  it('gives anonymous readers no session cookie, and forms a token on first use', async () => {
    for (const path of ['/', '/users/alice', '/healthz']) {
      const response = await request(testApp.app).get(path);
      expect(response.headers['set-cookie']).toBeUndefined();
    }
    const form = await request(testApp.app).get('/signup');
    expect(form.headers['set-cookie']?.[0]).toMatch(/^vv\.sid=.*HttpOnly.*SameSite=Lax/);
  });

  it('keeps sessions in the database, not in process memory', async () => {
    const agent = await signUp(testApp.app, 'frank');
    expect((await agent.get('/profile')).status).toBe(200);
    await testApp.db.deleteFrom('sessions').execute();
    expect((await agent.get('/profile')).status).toBe(302);
  });

  it('shows public member pages, 404 for unknown members, and newest members on the home page', async () => {
    await signUp(testApp.app, 'grace');
    const page = await request(testApp.app).get('/users/Grace');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h1>grace</h1>');
    const missing = await request(testApp.app).get('/users/nobody-here');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('There is no member with that name.');
    const home = await request(testApp.app).get('/');
    expect(home.text).toContain('href="/users/grace"');
  });
});
