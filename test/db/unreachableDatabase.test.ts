/**
 * `npm start` and the CLIs on a DATABASE_URL that cannot be used print one sentence naming the
 * host and the cause, and exit 1 — not a stack trace of the pool's internals.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/network.ts';

const PROJECT_DIR = path.resolve(import.meta.dirname, '..', '..');

async function run(script: string, databaseUrl: string): Promise<{ code: number; output: string }> {
  const result = await promisify(execFile)(process.execPath, [script], {
    cwd: PROJECT_DIR,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DOTENV_CONFIG_PATH: '/nonexistent/.env',
      NODE_ENV: 'development',
      DATABASE_URL: databaseUrl,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    },
    timeout: 30_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === 'number' ? error.code : -1,
      output: (error.stdout ?? '') + (error.stderr ?? ''),
    }),
  );
  return result;
}

describe('an unusable database at start-up', () => {
  it('the server (src/server.ts) prints one sentence naming host and ECONNREFUSED, and exits 1', async () => {
    const port = await freePort();
    const { code, output } = await run('src/server.ts', `postgres://vv:hunter2secret@127.0.0.1:${port}/videovote`);
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toEqual([
      `Cannot reach the database at 127.0.0.1:${port}: the connection was refused (ECONNREFUSED) — is PostgreSQL running there and listening on that port?`,
    ]);
  });

  it('a CLI (storage:gc) says the same in one line and exits 1', async () => {
    const port = await freePort();
    const { code, output } = await run('src/cli/storageGc.ts', `postgres://vv@localhost:${port}/videovote`);
    expect(code).toBe(1);
    const lines = output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^storage:gc failed: Cannot reach the database at localhost:\d+: the connection was refused/,
    );
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'a login PostgreSQL refuses is named as such (needs TEST_DATABASE_URL)',
    async () => {
      const url = new URL(process.env.TEST_DATABASE_URL!);
      url.username = 'no_such_role_vv';
      const { code, output } = await run('src/server.ts', url.toString());
      expect(code).toBe(1);
      expect(output.trim().split('\n')).toHaveLength(1);
      expect(output).toContain(`The database at ${url.hostname}:${url.port} refused the login: authentication failed`);
    },
  );
});
