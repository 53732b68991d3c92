/**
 * Nothing lost: uploads made while S3 is down land on local disk with a pending copy, and
 * resync moves them into S3 once it is back — verified, rows flipped, local copies gone.
 * Also the backup bucket. (Local files that vanished: test/hostile/s3Faults.test.ts, #18.)
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { csrfTokenFor, signUp, type Agent } from '../support/browserlessMember.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { makeS3Client, startS3Server, type S3TestServer } from '../support/s3Server.ts';
import { listObjects } from '../support/storedState.ts';
import { createTestApp, HEALTHZ_AUTH, type TestApp } from '../support/testApp.ts';
import { HeadObjectCommand } from '@aws-sdk/client-s3';

async function uploadAvatar(agent: Agent, colour: string) {
  const token = await csrfTokenFor(agent, '/profile');
  return agent
    .post('/profile/avatar')
    .field('_csrf', token)
    .attach('avatar', await makeImage('png', 300, 300, colour), 'me.png');
}

const avatarSrc = async (agent: Agent) =>
  /<img id="avatar"[^>]* src="([^"]+)"/.exec((await agent.get('/profile')).text)?.[1] ?? '';

describe('resync after S3 comes back', () => {
  let s3: S3TestServer;
  let testApp: TestApp;
  beforeAll(async () => {
    s3 = await startS3Server();
    testApp = await createTestApp({ s3, breakerCooldownMs: 60_000 });
  });
  afterAll(async () => {
    await testApp?.close();
    await s3?.stop();
  });

  it('moves three avatars uploaded while S3 was down into the bucket, and removes the local copies', async () => {
    const members = await Promise.all(['ann', 'ben', 'cat'].map((name) => signUp(testApp.app, name)));
    await s3.pause();
    const colours = ['#aa0000', '#00aa00', '#0000aa'];
    for (const [i, member] of members.entries()) expect((await uploadAvatar(member, colours[i]!)).status).toBe(303);
    for (const member of members) expect(await avatarSrc(member)).toMatch(/^\/static\/avatars\//);

    const down = (await request(testApp.app).get('/healthz').set(HEALTHZ_AUTH)).body;
    await testApp.storageHealth.refresh();
    const health = (await request(testApp.app).get('/healthz').set(HEALTHZ_AUTH)).body;
    expect(health).toMatchObject({ status: 'degraded', storage: { pending: { count: 3 }, s3: { breaker: 'open' } } });
    expect(health.storage.pending.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(down.storage.mode).toBe('s3');

    await s3.restart();
    // The probe sees S3 again, closes the breaker, and that kicks a resync pass at once.
    await testApp.storageHealth.refresh();
    await testApp.resyncLoop!.drain(Date.now() + 20_000);
    expect(
      await testApp.db.selectFrom('stored_files').select('location').where('folder', '=', 'avatars').execute(),
    ).toEqual([{ location: 's3' }, { location: 's3' }, { location: 's3' }]);

    const keys = await listObjects(s3, testApp.bucket!);
    for (const member of members) {
      const src = await avatarSrc(member);
      expect(src.startsWith(`${s3.endpoint}/${testApp.bucket}/avatars/`)).toBe(true);
      expect(keys).toContain(src.split(`/${testApp.bucket}/`)[1]);
      expect((await fetch(src)).status).toBe(200);
    }
    const localFiles = await fs.readdir(path.join(testApp.localDir, 'static', 'avatars')).catch(() => []);
    expect(localFiles).toEqual([]);
    const after = (await testApp.storageHealth.refresh()).storage;
    expect(after.pending).toEqual({ count: 0, oldestAgeSeconds: null });
  });
});

describe('backup bucket', () => {
  const server = inject('s3');
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ s3: server, backupBucket: true });
  });
  afterAll(async () => testApp?.close());

  it('receives a verified copy of every object with its type and cache headers, and loses it with the image', async () => {
    const member = await signUp(testApp.app, 'backed');
    await uploadAvatar(member, '#336699');
    expect((await testApp.storageHealth.refresh()).storage.backup).toMatchObject({ configured: true, pending: 1 });
    const summary = await testApp.resyncLoop!.drain(Date.now() + 20_000);
    expect(summary).toMatchObject({ backedUp: 1, failed: 0 });

    const primary = await listObjects(server, testApp.bucket!);
    expect(await listObjects(server, testApp.backupBucket!)).toEqual(primary);
    const client = makeS3Client(server);
    for (const key of primary) {
      const [original, copy] = await Promise.all([
        client.send(new HeadObjectCommand({ Bucket: testApp.bucket!, Key: key })),
        client.send(new HeadObjectCommand({ Bucket: testApp.backupBucket!, Key: key })),
      ]);
      expect(copy).toMatchObject({
        ContentLength: original.ContentLength,
        ContentType: 'image/webp',
        CacheControl: original.CacheControl,
        Metadata: original.Metadata,
      });
    }
    client.destroy();
    expect((await testApp.storageHealth.refresh()).storage.backup.pending).toBe(0);

    await uploadAvatar(member, '#993366');
    expect(await listObjects(server, testApp.backupBucket!)).toEqual([]);
  });
});
