/**
 * Accounts under attack: password guessing throttled per account and per IP, no answer that
 * tells which usernames exist, usernames validated, sessions renewed at login, cookies
 * HttpOnly/SameSite=Lax and Secure behind Render's proxy, and votes rate-limited.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfTokenFor, signUp, TEST_PASSWORD, type Agent } from '../support/browserlessMember.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';

async function attemptLogin(agent: Agent, username: string, password: string) {
  const token = await csrfTokenFor(agent, '/login');
  return agent.post('/login').type('form').send({ _csrf: token, username, password });
}

/** The page with what legitimately differs between two requests (token, typed name) taken out. */
const comparable = (html: string, typed: string) =>
  html.replace(/name="_csrf" value="[^"]+"/, '').replaceAll(typed, 'NAME');

describe('login throttling and enumeration', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ extraEnv: { LOGIN_ATTEMPTS_PER_ACCOUNT: '3', LOGIN_ATTEMPTS_PER_IP: '8' } });
    await signUp(testApp.app, 'victim');
    await signUp(testApp.app, 'bystander');
  });
  afterAll(async () => testApp?.close());

  it('answers an unknown username and a wrong password with the same status and the same page', async () => {
    const agent = request.agent(testApp.app);
    const unknown = await attemptLogin(agent, 'nobodyhere', 'whatever-password');
    const wrong = await attemptLogin(agent, 'bystander', 'whatever-password');
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.text).toContain('Wrong username or password.');
    expect(comparable(unknown.text, 'nobodyhere')).toBe(comparable(wrong.text, 'bystander'));
  });

  it('throttles one account after 3 failures: 429 with Retry-After, even for the right password; other accounts unaffected', async () => {
    const attacker = request.agent(testApp.app);
    for (let i = 0; i < 3; i++)
      expect((await attemptLogin(attacker, 'victim', `guess-${i}-password`)).status).toBe(401);
    const throttled = await attemptLogin(attacker, 'VICTIM', 'another-guess');
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect(throttled.text).toMatch(/Too many attempts\. Please wait \d+ minutes? and try again\./);
    expect((await attemptLogin(request.agent(testApp.app), 'victim', TEST_PASSWORD)).status).toBe(429);
    expect((await attemptLogin(request.agent(testApp.app), 'bystander', TEST_PASSWORD)).status).toBe(303);
  });

  it('throttles one IP across usernames, counting failed sign-ups (a taken name) too', async () => {
    // Three failures were spent above and one on the enumeration check pair: 5 of 8 so far.
    const prober = request.agent(testApp.app);
    const signUpToken = await csrfTokenFor(prober, '/signup');
    const taken = await prober
      .post('/signup')
      .type('form')
      .send({ _csrf: signUpToken, username: 'bystander', password: TEST_PASSWORD });
    expect(taken.status).toBe(422);
    expect(taken.text).toContain('That username is taken');
    let last: Awaited<ReturnType<typeof attemptLogin>> | undefined;
    for (let i = 0; i < 4; i++) last = await attemptLogin(prober, `probe${i}`, 'whatever-password');
    expect(last?.status).toBe(429);
    expect(last?.text).toContain('Too many attempts.');
    const blockedSignUp = await prober
      .post('/signup')
      .type('form')
      .send({ _csrf: signUpToken, username: 'fresh-name', password: TEST_PASSWORD });
    expect(blockedSignUp.status).toBe(429);
  });
});

describe('usernames, sessions and cookies', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp();
  });
  afterAll(async () => testApp?.close());

  // Issue #12: the empty username moved to its own test below; its error no longer repeats the help text.
  it('refuses an empty sign-up with 422, saying what is missing rather than repeating the help text', async () => {
    const agent = request.agent(testApp.app);
    const token = await csrfTokenFor(agent, '/signup');
    const response = await agent.post('/signup').type('form').send({ _csrf: token, username: '', password: '' });
    expect(response.status).toBe(422);
    expect(response.text).toContain('>Enter a username.</p>');
    expect(response.text).toContain('>Enter a password.</p>');
    expect(response.text).not.toContain('Usernames are 3–30 characters');
    expect(response.text).toContain('aria-describedby="username-help username-error" aria-invalid="true"');
    expect(response.text).toMatch(
      /<div class="error-summary"[^>]*autofocus[\s\S]*<a href="#username">Enter a username.<\/a>/,
    );
    expect(await testApp.db.selectFrom('users').select('id').execute()).toHaveLength(0);
  });

  it.each(['ab', 'x'.repeat(31), 'a b', 'name<script>', 'émile', '../admin'])(
    'refuses the username %j with 422 and the rule, creating no row',
    async (username) => {
      const agent = request.agent(testApp.app);
      const token = await csrfTokenFor(agent, '/signup');
      const response = await agent
        .post('/signup')
        .type('form')
        .send({ _csrf: token, username, password: TEST_PASSWORD });
      expect(response.status).toBe(422);
      expect(response.text).toContain(
        'Usernames are 3–30 characters: letters, digits, &quot;_&quot; or &quot;-&quot;.',
      );
      expect(await testApp.db.selectFrom('users').select('id').execute()).toHaveLength(0);
    },
  );

  it('gives a new session id at login and forgets the one used before', async () => {
    await signUp(testApp.app, 'renewed');
    const agent = request.agent(testApp.app);
    const form = await agent.get('/login');
    const before = /vv\.sid=([^;]+)/.exec(String(form.headers['set-cookie']))?.[1];
    const token = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1];
    const login = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: token, username: 'renewed', password: TEST_PASSWORD });
    expect(login.status).toBe(303);
    const after = /vv\.sid=([^;]+)/.exec(String(login.headers['set-cookie']))?.[1];
    expect(before).toBeDefined();
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    // Whoever planted or saw the old cookie is not logged in with it.
    const stale = await request(testApp.app).get('/profile').set('Cookie', `vv.sid=${before}`);
    expect(stale.status).toBe(302);
  });
});

describe('production behind one proxy hop (Render)', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({
      extraEnv: { NODE_ENV: 'production', LOGIN_ATTEMPTS_PER_IP: '2', LOGIN_ATTEMPTS_PER_ACCOUNT: '100' },
    });
  });
  afterAll(async () => testApp?.close());

  it('sets the session cookie HttpOnly, SameSite=Lax and Secure when the proxy says https', async () => {
    const response = await request(testApp.app).get('/signup').set('X-Forwarded-Proto', 'https');
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(/^vv\.sid=/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Secure');
  });

  it('throttles by the client address the proxy reports, not the proxy’s own', async () => {
    // The agent would not send a Secure cookie over the test's plain HTTP, so the cookie is passed by hand.
    const failedLoginFrom = async (clientIp: string) => {
      const page = await request(testApp.app).get('/login').set('X-Forwarded-Proto', 'https');
      const cookie = String(page.headers['set-cookie']).split(';')[0]!;
      const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
      return request(testApp.app)
        .post('/login')
        .set({ Cookie: cookie, 'X-Forwarded-For': clientIp, 'X-Forwarded-Proto': 'https' })
        .type('form')
        .send({ _csrf: token, username: 'nobody', password: 'wrong-password' });
    };
    expect((await failedLoginFrom('203.0.113.7')).status).toBe(401);
    expect((await failedLoginFrom('203.0.113.7')).status).toBe(401);
    expect((await failedLoginFrom('203.0.113.7')).status).toBe(429);
    expect((await failedLoginFrom('198.51.100.9')).status).toBe(401);
  });
});

describe('vote rate limit', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ extraEnv: { VOTES_PER_MINUTE: '2' } });
  });
  afterAll(async () => testApp?.close());

  it('the third vote within a minute → 429 with Retry-After and a reason; the count is unchanged', async () => {
    const voter = await signUp(testApp.app, 'voter');
    const token = await csrfTokenFor(voter, '/videos/new');
    const created = await voter
      .post('/videos')
      .type('form')
      .send({ _csrf: token, title: 'Vote on me', url: 'https://example.com/v' });
    const page = created.headers.location!;
    const vote = async () =>
      voter
        .post(`${page}/vote`)
        .type('form')
        .send({ _csrf: await csrfTokenFor(voter, page) });
    expect((await vote()).status).toBe(303);
    expect((await vote()).status).toBe(303);
    const countBefore = await testApp.db.selectFrom('votes').select('user_id').execute();
    const third = await vote();
    expect(third.status).toBe(429);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    expect(third.text).toMatch(/You are voting too fast\. Please wait \d+ seconds and try again\./);
    expect(await testApp.db.selectFrom('votes').select('user_id').execute()).toEqual(countBefore);
  });
});
