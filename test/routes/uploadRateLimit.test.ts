/** HOSTILE-INPUT #9: a member who uploads too fast gets 429 with Retry-After; others do not notice. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfTokenFor, signUp, type Agent } from '../support/browserlessMember.js';
import { makeImage } from '../support/imageFixtures.js';
import { storedState } from '../support/storedState.js';
import { createTestApp, type TestApp } from '../support/testApp.js';

describe('per-member upload rate limit', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ extraEnv: { UPLOADS_PER_MINUTE: '2' } });
  });
  afterAll(async () => testApp?.close());

  const upload = async (agent: Agent) => {
    const token = await csrfTokenFor(agent, '/profile');
    return agent.post('/profile/avatar').field('_csrf', token).attach('avatar', await makeImage('png', 100, 100, `#${Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '0')}`), 'a.png');
  };

  it('refuses the third upload within a minute with 429, Retry-After and a reason, storing nothing', async () => {
    const eager = await signUp(testApp.app, 'eager');
    expect((await upload(eager)).status).toBe(303);
    expect((await upload(eager)).status).toBe(303);
    const before = await storedState(testApp);
    const third = await upload(eager);
    expect(third.status).toBe(429);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    expect(third.text).toMatch(/You are uploading too fast\. Please wait \d+ seconds and try again\./);
    expect(await storedState(testApp)).toEqual(before);

    const calm = await signUp(testApp.app, 'calm');
    expect((await upload(calm)).status).toBe(303);
  });
});
