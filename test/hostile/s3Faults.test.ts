/**
 * HOSTILE-INPUT.md "S3 faults", lines 13–16 and 18, provoked on 127.0.0.1: refused
 * connections, an endpoint that never answers, a throttling answer that retries absorb,
 * (MinIO only) credentials it rejects, and local files that vanish before a restart.
 * #16's storage:check is in test/storage/diagnoseS3.test.ts, #17 in resyncKilled.test.ts,
 * #19 in shutdown.test.ts.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { csrfTokenFor, signUp } from '../support/browserlessMember.ts';
import { captureLogs } from '../support/captureLogs.ts';
import { startBlackHole, startSlowDownProxy } from '../support/faultyEndpoints.ts';
import { closedPortEndpoint } from '../support/network.ts';
import { listObjects } from '../support/storedState.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { createTestApp, HEALTHZ_AUTH, type TestApp } from '../support/testApp.ts';

const server = inject('s3');
const apps: TestApp[] = [];
afterAll(async () => {
  for (const app of apps) await app.close();
});

async function uploadAndLocate(testApp: TestApp, username: string, colour: string) {
  const member = await signUp(testApp.app, username);
  const token = await csrfTokenFor(member, '/profile');
  const started = performance.now();
  const response = await member
    .post('/profile/avatar')
    .field('_csrf', token)
    .attach('avatar', await makeImage('png', 128, 128, colour), 'a.png');
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
  it('#13 S3 refusing connections → the upload succeeds via local fallback within a few seconds, owed to S3 in the outbox', async () => {
    const testApp = await createTestApp({ s3: server, s3Overrides: { endpoint: await closedPortEndpoint() } });
    apps.push(testApp);
    const upload = await uploadAndLocate(testApp, 'refused', '#505050');
    expect(upload).toMatchObject({ status: 303, location: 'local' });
    expect(upload.elapsedMs).toBeLessThan(5_000);
    expect(await testApp.db.selectFrom('pending_copies').select(['file_id', 'target']).execute()).toEqual([
      { file_id: upload.fileId, target: 'primary' },
    ]);
    expect(await listObjects(server, testApp.bucket!)).toEqual([]);
    expect((await request(testApp.app).get('/healthz')).status).toBe(200);
  });

  it('#14 a black-holed endpoint costs only the first upload its timeouts; the breaker spares the rest', async () => {
    const blackHole = await startBlackHole();
    const testApp = await createTestApp({
      s3: server,
      s3Overrides: { endpoint: blackHole.endpoint },
      breakerCooldownMs: 120_000,
    });
    apps.push(testApp);
    const first = await uploadAndLocate(testApp, 'bh0', '#101010');
    expect(first).toMatchObject({ status: 303, location: 'local' });
    // Three attempts of a 3 s idle timeout, plus back-off: bounded, not minutes.
    expect(first.elapsedMs).toBeLessThan(15_000);
    const connectionsAfterFirst = blackHole.connections();
    expect(connectionsAfterFirst).toBeGreaterThan(0);

    const later = [];
    for (let i = 1; i < 10; i++)
      later.push(await uploadAndLocate(testApp, `bh${i}`, `#2020${(i * 10).toString(16).padStart(2, '0')}`));
    expect(later.every((upload) => upload.status === 303 && upload.location === 'local')).toBe(true);
    expect(blackHole.connections()).toBe(connectionsAfterFirst);
    process.stderr.write(
      `[s3-faults] black hole: first upload ${Math.round(first.elapsedMs)} ms, tenth ${Math.round(later.at(-1)!.elapsedMs)} ms\n`,
    );
    const health = (await request(testApp.app).get('/healthz').set(HEALTHZ_AUTH)).body;
    expect(health.storage.s3.breaker).toBe('open');
    await blackHole.close();
  }, 90_000);

  it('#15 a 503 SlowDown followed by success is absorbed by retries: stored in S3, no fallback', async () => {
    const proxy = await startSlowDownProxy(server.endpoint, 1);
    const testApp = await createTestApp({ s3: server, s3Overrides: { endpoint: proxy.endpoint } });
    apps.push(testApp);
    const upload = await uploadAndLocate(testApp, 'throttled', '#303030');
    expect(upload).toMatchObject({ status: 303, location: 's3' });
    expect(proxy.throttled()).toBe(1);
    expect(await testApp.db.selectFrom('pending_copies').selectAll().execute()).toEqual([]);
    await proxy.close();
  });

  it.skipIf(server.kind !== 'minio')(
    '#16 wrong credentials still accept the upload, and say loudly why S3 is unused (MinIO only: s3rver accepts any key)',
    async () => {
      const logs = captureLogs();
      const testApp = await createTestApp({
        s3: server,
        s3Overrides: { secretAccessKey: 'not-the-secret' },
        logger: logs.logger,
      });
      apps.push(testApp);
      const upload = await uploadAndLocate(testApp, 'misconfigured', '#404040');
      expect(upload).toMatchObject({ status: 303, location: 'local' });
      const health = (await request(testApp.app).get('/healthz').set(HEALTHZ_AUTH)).body;
      expect(health.status).toBe('degraded');
      expect(health.reasons.join(' ')).toContain('S3 rejects our configuration (InvalidCredentials)');
      await request(testApp.app).get('/healthz').set(HEALTHZ_AUTH);
      const alarms = logs.lines().filter((line) => line.msg.startsWith('S3 is misconfigured (InvalidCredentials)'));
      expect(alarms).toHaveLength(1);
      expect(logs.text()).not.toContain('not-the-secret');
      expect(await testApp.db.selectFrom('pending_copies').select('file_id').execute()).toEqual([
        { file_id: upload.fileId },
      ]);
    },
  );
});

describe('#18 local files lost before a restart', () => {
  it('#18 marks a local image whose file vanished as lost, shows the placeholder, and tells the operator', async () => {
    const logs = captureLogs();
    const testApp = await createTestApp({ logger: logs.logger });
    apps.push(testApp);
    const member = await signUp(testApp.app, 'wiped');
    const token = await csrfTokenFor(member, '/profile');
    await member
      .post('/profile/avatar')
      .field('_csrf', token)
      .attach('avatar', await makeImage('png', 300, 300, '#445566'), 'me.png');
    const avatarSrc = async () =>
      /<img id="avatar"[^>]* src="([^"]+)"/.exec((await member.get('/profile')).text)?.[1] ?? '';
    expect(await avatarSrc()).toMatch(/^\/static\/avatars\//);
    // What an ephemeral disk does at a redeploy.
    await fs.rm(path.join(testApp.localDir, 'static', 'avatars'), { recursive: true });

    await testApp.startBackgroundWork();
    const placeholder = await avatarSrc();
    expect(placeholder).toBe('/static/img/avatars-placeholder.svg');
    expect((await request(testApp.app).get(placeholder)).status).toBe(200);
    const health = await testApp.storageHealth.refresh();
    expect(health).toMatchObject({ status: 'degraded', storage: { lost: 1 } });
    expect(health.reasons.join(' ')).toContain('1 image(s) were lost from local disk');
    expect(
      logs.lines().some((line) => line.level >= 50 && line.msg.includes('missing at start-up and are marked lost')),
    ).toBe(true);
  });
});
