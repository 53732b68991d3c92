/** Drives the app through HTTP as a member would, for route tests (cookies kept by the agent). */
import request from 'supertest';
import type { Express } from 'express';

export type Agent = ReturnType<typeof request.agent>;

export function csrfTokenIn(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('No CSRF token on the page');
  return match[1];
}

export async function csrfTokenFor(agent: Agent, path: string): Promise<string> {
  const page = await agent.get(path);
  return csrfTokenIn(page.text);
}

export const TEST_PASSWORD = 'correct horse battery';

/** Signs up a new member and returns the agent, logged in. */
export async function signUp(app: Express, username: string): Promise<Agent> {
  const agent = request.agent(app);
  const token = await csrfTokenFor(agent, '/signup');
  const response = await agent.post('/signup').type('form').send({ _csrf: token, username, password: TEST_PASSWORD });
  if (response.status !== 303)
    throw new Error(`Sign-up failed with ${response.status}: ${response.text.slice(0, 300)}`);
  return agent;
}

/** Sends the avatar form with these bytes under this name and declared type. */
export async function uploadAvatar(agent: Agent, bytes: Buffer, filename: string, contentType = 'image/jpeg') {
  const token = await csrfTokenFor(agent, '/profile');
  return agent.post('/profile/avatar').field('_csrf', token).attach('avatar', bytes, { filename, contentType });
}

/** The session cookie header an agent sends, for raw HTTP requests made beside it. */
export async function cookieOf(agent: Agent): Promise<string> {
  return (await agent.get('/profile')).request.cookies as unknown as string;
}
