/**
 * A database that neither refuses nor answers (a partition, a hung failover), in front of the
 * server process through a proxy that goes silent: /healthz still answers within its own bound
 * and says the database is unreachable; a page and an upload get their 503 with the sentence
 * within the stated bound (db/database.ts: 5 s for a connection, 25 s for an answer on an open
 * one) instead of hanging; once the path is back, uploads work again without a restart.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_TIMEOUTS } from '../../src/db/database.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { type PrivatePostgres, privatePostgresMissing, startPrivatePostgres } from '../support/privatePostgres.ts';
import { HttpMember, type ServerProcess, startServerProcess } from '../support/serverProcess.ts';
import { type SilenceableProxy, startSilenceableProxy } from '../support/silenceableProxy.ts';
import { HEALTHZ_AUTH, TEST_HEALTHZ_TOKEN } from '../support/testApp.ts';

const UNAVAILABLE = 'The database is not answering right now, so nothing was changed. Please try again in a minute.';
/** The longest a request may wait on a silent database, with room for a loaded two-core machine. */
const BOUND_MS = POSTGRES_TIMEOUTS.QUERY_TIMEOUT_MS + 10_000;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe.skipIf(privatePostgresMissing !== undefined)(
  `a database that goes silent (needs ${privatePostgresMissing ?? 'PostgreSQL binaries'})`,
  () => {
    let cluster: PrivatePostgres;
    let proxy: SilenceableProxy;
    let server: ServerProcess;
    let workDir: string;

    beforeAll(async () => {
      cluster = await startPrivatePostgres();
      await cluster.createDatabase('videovote');
      proxy = await startSilenceableProxy(Number(new URL(cluster.adminUrl).port));
      workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-dbsilent-'));
      server = await startServerProcess(
        {
          DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/videovote`,
          SESSION_SECRET: randomBytes(24).toString('hex'),
          DATA_DIR: path.join(workDir, 'data'),
          LOCAL_STORAGE_DIR: path.join(workDir, 'static'),
          UPLOAD_TEMP_DIR: path.join(workDir, 'tmp'),
          HEALTHZ_TOKEN: TEST_HEALTHZ_TOKEN,
          LOG_LEVEL: 'warn',
        },
        { shellCommand: 'exec node src/server.ts' },
      );
    }, 120_000);

    afterAll(async () => {
      await server?.stop('SIGKILL');
      await proxy?.close();
      await cluster?.destroy();
      if (workDir) await fs.rm(workDir, { recursive: true, force: true });
    });

    it('answers 503 within the bound while silent, /healthz within its own, and recovers', async () => {
      const member = new HttpMember(server.origin);
      await member.signUp('silent1');
      const token = await member.csrfToken('/profile');
      const avatar = await makeImage('png', 96, 96, '#335577');
      proxy.silence();

      const [health, page, upload] = await Promise.all([
        timed(async () => (await fetch(`${server.origin}/healthz`, { headers: HEALTHZ_AUTH })).json()),
        timed(async () => {
          const response = await member.request('/profile');
          return {
            status: response.status,
            retryAfter: response.headers.get('retry-after'),
            body: await response.text(),
          };
        }),
        timed(async () => {
          const form = new FormData();
          form.set('_csrf', token);
          form.set('avatar', new Blob([new Uint8Array(avatar)], { type: 'image/png' }), 'me.png');
          const response = await member.request('/profile/avatar', { method: 'POST', body: form });
          return { status: response.status, body: await response.text() };
        }),
      ]);
      console.log(
        `while silent: /healthz ${Math.round(health.ms)} ms, page ${Math.round(page.ms)} ms, upload ${Math.round(upload.ms)} ms`,
      );

      const healthBody = health.value as { status: string; reasons: string[]; database: { reachable: boolean } };
      expect(health.ms).toBeLessThan(5_000);
      expect(healthBody.database.reachable).toBe(false);
      expect(healthBody.reasons[0]).toBe(
        'The database is unreachable (no answer within 2 s): pages and uploads are answered with 503 until it is back.',
      );
      expect(page.value.status).toBe(503);
      expect(page.value.retryAfter).toBe('30');
      expect(page.value.body).toContain(UNAVAILABLE);
      expect(page.ms).toBeLessThan(BOUND_MS);
      expect(upload.value.status).toBe(503);
      expect(upload.value.body).toContain(UNAVAILABLE);
      expect(upload.ms).toBeLessThan(BOUND_MS);

      proxy.speak();
      await expect
        .poll(
          async () =>
            (
              (await (await fetch(`${server.origin}/healthz`, { headers: HEALTHZ_AUTH })).json()) as {
                database: { reachable: boolean };
              }
            ).database.reachable,
          { timeout: 20_000 },
        )
        .toBe(true);
      expect(await member.uploadAvatar(avatar)).toBe(303);
      expect(server.child.exitCode).toBeNull();
    }, 120_000);
  },
);
