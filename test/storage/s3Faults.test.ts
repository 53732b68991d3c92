/**
 * S3 faults a real server cannot be asked for, provoked on 127.0.0.1: an endpoint that never
 * answers, a throttling answer that retries absorb, and (MinIO only) credentials it rejects.
 */
import request from 'supertest';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { csrfTokenFor, signUp } from '../support/browserlessMember.js';
import { captureLogs } from '../support/captureLogs.js';
import { startBlackHole, startSlowDownProxy } from '../support/faultyEndpoints.js';
import { makeImage } from '../support/imageFixtures.js';
import { createTestApp, type TestApp } from '../support/testApp.js';

const server = inject('s3');
const apps: TestApp[] = [];
afterAll(async () => {
  for (const app of apps) await app.close();
});

async function uploadAndLocate(testApp: TestApp, username: string, colour: string) {
  const member = await signUp(testApp.app, username);
  const token = await csrfTokenFor(member, '/profile');
  const started = performance.now();
  const response = await member.post('/profile/avatar').field('_csrf', token).attach('avatar', await makeImage('png', 128, 128, colour), 'a.png');
  const elapsedMs = performance.now() - started;
  const row = await testApp.db
    .selectFrom('stored_files')
    .innerJoin('users', 'users.avatar_image_id', 'stored_files.id')
    .select(['stored_files.id', 'stored_files.location'])
    .where('users.username', '=', username)
    .executeTakeFirstOrThrow();
  return { status: response.status, location: row.location, fileId: row.id, elapsedMs };
}

describe('S3 faults', () => {
  it('a black-holed endpoint costs only the first upload its timeouts; the breaker spares the rest', async () => {
    const blackHole = await startBlackHole();
    const testApp = await createTestApp({ s3: server, s3Overrides: { endpoint: blackHole.endpoint }, breakerCooldownMs: 120_000 });
    apps.push(testApp);
    const first = await uploadAndLocate(testApp, 'bh0', '#101010');
    expect(first).toMatchObject({ status: 303, location: 'local' });
    // Three attempts of a 3 s idle timeout, plus back-off: bounded, not minutes.
    expect(first.elapsedMs).toBeLessThan(15_000);
    const connectionsAfterFirst = blackHole.connections();
    expect(connectionsAfterFirst).toBeGreaterThan(0);

    const later = [];
    for (let i = 1; i < 10; i++) later.push(await uploadAndLocate(testApp, `bh${i}`, `#2020${(i * 10).toString(16).padStart(2, '0')}`));
    expect(later.every((upload) => upload.status === 303 && upload.location === 'local')).toBe(true);
    expect(blackHole.connections()).toBe(connectionsAfterFirst);
    process.stderr.write(`[s3-faults] black hole: first upload ${Math.round(first.elapsedMs)} ms, tenth ${Math.round(later.at(-1)!.elapsedMs)} ms\n`);
    const health = (await request(testApp.app).get('/healthz')).body;
    expect(health.storage.s3.breaker).toBe('open');
    await blackHole.close();
  }, 90_000);

  it('a 503 SlowDown followed by success is absorbed by retries: stored in S3, no fallback', async () => {
    const proxy = await startSlowDownProxy(server.endpoint, 1);
    const testApp = await createTestApp({ s3: server, s3Overrides: { endpoint: proxy.endpoint } });
    apps.push(testApp);
    const upload = await uploadAndLocate(testApp, 'throttled', '#303030');
    expect(upload).toMatchObject({ status: 303, location: 's3' });
    expect(proxy.throttled()).toBe(1);
    expect(await testApp.db.selectFrom('pending_copies').selectAll().execute()).toEqual([]);
    await proxy.close();
  });

  it.skipIf(server.kind !== 'minio')('wrong credentials still accept the upload, and say loudly why S3 is unused (MinIO only: s3rver accepts any key)', async () => {
    const logs = captureLogs();
    const testApp = await createTestApp({ s3: server, s3Overrides: { secretAccessKey: 'not-the-secret' }, logger: logs.logger });
    apps.push(testApp);
    const upload = await uploadAndLocate(testApp, 'misconfigured', '#404040');
    expect(upload).toMatchObject({ status: 303, location: 'local' });
    const health = (await request(testApp.app).get('/healthz')).body;
    expect(health.status).toBe('degraded');
    expect(health.reasons.join(' ')).toContain('S3 rejects our configuration (InvalidCredentials)');
    await request(testApp.app).get('/healthz');
    const alarms = logs.lines().filter((line) => line.msg.startsWith('S3 is misconfigured (InvalidCredentials)'));
    expect(alarms).toHaveLength(1);
    expect(logs.text()).not.toContain('not-the-secret');
    expect(await testApp.db.selectFrom('pending_copies').select('file_id').execute()).toEqual([{ file_id: upload.fileId }]);
  });
});
