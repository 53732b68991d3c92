/**
 * Avatar uploads through HTTP, stored in a real S3 server (MinIO in CI), and the fallback
 * proven by stopping S3 for real. Hostile uploads live in test/hostile/uploads.test.ts.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { availableDatabases, createTestApp, HEALTHZ_AUTH, type TestApp } from '../support/testApp.ts';
import { csrfTokenFor, signUp, uploadAvatar } from '../support/browserlessMember.ts';
import { makeImage } from '../support/imageFixtures.ts';
import * as hostile from '../support/hostileImages.ts';
import { listObjects, storedState } from '../support/storedState.ts';
import { startS3Server, type S3TestServer } from '../support/s3Server.ts';

const s3 = inject('s3');

function avatarSrc(html: string): string {
  const match = /<img id="avatar"[^>]* src="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('No avatar on the page');
  return match[1];
}

describe.each(availableDatabases(inject('databaseUrlAvailable')))(`avatars in S3 (${s3.kind}) with %s`, (database) => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ database, s3 });
  });
  afterAll(async () => testApp?.close());

  it("stores the avatar's variants under avatars/ in the bucket and every page links to them", async () => {
    const agent = await signUp(testApp.app, 'alice');
    const response = await uploadAvatar(agent, await makeImage('jpeg', 300, 300), '../../etc/passwd.jpg');
    expect(response.status).toBe(303);

    const profile = await agent.get('/profile');
    expect(profile.text).toContain('Avatar updated.');
    const src = avatarSrc(profile.text);
    const keyPattern = `avatars/u\\d+-[0-9a-f]{32}\\.webp`;
    expect(src).toMatch(new RegExp(`^${s3.endpoint}/${testApp.bucket}/${keyPattern}$`));
    expect(profile.text).not.toContain('passwd');
    const srcset = /<img id="avatar"[^>]* srcset="([^"]+)"/.exec(profile.text)?.[1] ?? '';
    const candidates = srcset.split(', ').map((candidate) => candidate.split(' '));
    expect(candidates.map(([, width]) => width)).toEqual(['256w', '128w', '64w']);
    const keys = candidates.map(([url]) => url!.slice(`${s3.endpoint}/${testApp.bucket}/`.length));
    expect(await listObjects(s3, testApp.bucket!)).toEqual([...keys].sort());

    const image = await fetch(src);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/webp');
    expect(image.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await sharp(Buffer.from(await image.arrayBuffer())).metadata()).toMatchObject({
      format: 'webp',
      width: 64,
      height: 64,
    });

    const publicPage = await request(testApp.app).get('/users/alice');
    expect(publicPage.text).toContain(`src="${src}"`);
  });

  it('replacing an avatar deletes the previous object', async () => {
    const agent = await signUp(testApp.app, 'bob');
    await uploadAvatar(agent, await makeImage('png', 64, 64, '#ff0000'), 'one.png', 'image/png');
    const first = avatarSrc((await agent.get('/profile')).text);
    await uploadAvatar(agent, await makeImage('webp', 64, 64, '#00ff00'), 'two.webp', 'image/webp');
    const second = avatarSrc((await agent.get('/profile')).text);
    expect(second).not.toBe(first);
    const keys = await listObjects(s3, testApp.bucket!);
    expect(keys).toContain(second.split(`/${testApp.bucket}/`)[1]);
    expect(keys).not.toContain(first.split(`/${testApp.bucket}/`)[1]);
  });

  it('replacing an avatar with several sizes deletes every previous size and leaves no temp file', async () => {
    const agent = await signUp(testApp.app, 'carol');
    const bucketKeys = async () => (await listObjects(s3, testApp.bucket!)).filter((key) => key.includes(`/u`));
    const before = new Set(await bucketKeys());
    await uploadAvatar(agent, await makeImage('jpeg', 300, 300, '#0000ff'), 'one.jpg');
    const first = (await bucketKeys()).filter((key) => !before.has(key));
    expect(first).toHaveLength(3);
    await uploadAvatar(agent, await makeImage('jpeg', 300, 300, '#ffff00'), 'two.jpg');
    const after = await bucketKeys();
    for (const key of first) expect(after).not.toContain(key);
    expect(after.filter((key) => !before.has(key))).toHaveLength(3);
    expect(
      (await readdir(path.join(testApp.localDir, 'upload-tmp'))).filter((name) => name.startsWith('image-')),
    ).toEqual([]);
  });

  it.each([
    ['a 40×40 image', () => makeImage('png', 40, 40), 422, 'it needs to be at least 64×64'],
    ['a TIFF', () => hostile.tiffImage(), 415, 'a TIF file'],
  ])('refuses %s with its reason on the form, storing nothing', async (_name, make, status, message) => {
    const agent = await signUp(testApp.app, `h${Math.random().toString(36).slice(2, 10)}`);
    const before = await storedState(testApp, s3);
    const response = await uploadAvatar(agent, await make(), 'photo.jpg');
    expect(response.status).toBe(status);
    expect(response.text).toContain(message);
    expect(response.text).toContain('id="avatar-file"');
    expect(await storedState(testApp, s3)).toEqual(before);
  });

  it('the same photo uploaded again: one row, the shared objects kept, the avatar still loads', async () => {
    const agent = await signUp(testApp.app, 'dora');
    const photo = await makeImage('jpeg', 200, 200, '#123456');
    expect((await uploadAvatar(agent, photo, 'me.jpg')).status).toBe(303);
    const first = avatarSrc((await agent.get('/profile')).text);
    const secondSentAt = Date.now();
    const again = await uploadAvatar(agent, photo, 'me-again.jpg');
    expect(again.status).toBe(303);
    const profile = await agent.get('/profile');
    expect(profile.text).toContain('Avatar updated.');
    // Content-addressed keys: the same bytes make the same keys, which must not be deleted as "the old avatar".
    expect(avatarSrc(profile.text)).toBe(first);
    const rows = await testApp.db
      .selectFrom('stored_files')
      .innerJoin('users', 'users.id', 'stored_files.owner_id')
      .select(['stored_files.id', 'stored_files.variants', 'stored_files.created_at', 'users.avatar_image_id'])
      .where('users.username', '=', 'dora')
      .where('stored_files.folder', '=', 'avatars')
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.avatar_image_id).toBe(rows[0]!.id);
    // It is the second upload's row (the first was replaced), sharing the first one's objects.
    expect(new Date(rows[0]!.created_at).getTime()).toBeGreaterThanOrEqual(secondSentAt - 1_000);
    // Every size of it is still in the bucket.
    const keys = await listObjects(s3, testApp.bucket!);
    for (const variant of rows[0]!.variants as Array<{ key: string }>) expect(keys).toContain(variant.key);
    expect((await fetch(first)).status).toBe(200);
  });

  it('asks for a file when the form was sent without one', async () => {
    const agent = await signUp(testApp.app, 'empty');
    const token = await csrfTokenFor(agent, '/profile');
    const response = await agent.post('/profile/avatar').field('_csrf', token);
    expect(response.status).toBe(400);
    expect(response.text).toContain('Please choose an image file to upload.');
  });

  it('reports S3 as reachable in /healthz', async () => {
    await testApp.storageHealth.refresh();
    const health = await request(testApp.app).get('/healthz').set(HEALTHZ_AUTH);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'ok',
      storage: { mode: 's3', s3: { configured: true, reachable: true } },
    });
  });
});

describe('avatars when S3 goes down', () => {
  let ownS3: S3TestServer;
  let testApp: TestApp;
  beforeAll(async () => {
    ownS3 = await startS3Server();
    testApp = await createTestApp({ s3: ownS3 });
  });
  afterAll(async () => {
    await testApp?.close();
    await ownS3?.stop();
  });

  it('still accepts the upload, stores it on local disk, and serves it from /static/avatars/', async () => {
    const agent = await signUp(testApp.app, 'offline');
    await ownS3.pause();
    const png = await makeImage('png', 80, 80);
    const response = await uploadAvatar(agent, png, 'me.png', 'image/png');
    expect(response.status).toBe(303);

    const profile = await agent.get('/profile');
    expect(profile.text).toContain('kept on this server for the moment');
    const src = avatarSrc(profile.text);
    expect(src).toMatch(/^\/static\/avatars\/u\d+-[0-9a-f]{32}\.webp$/);
    const served = await request(testApp.app).get(src);
    // Its headers (type, nosniff, caching, CSP) are #11 in test/hostile/serving.test.ts.
    expect(served.status).toBe(200);
    expect(await sharp(served.body as Buffer).metadata()).toMatchObject({ format: 'webp', width: 64, height: 64 });

    await testApp.storageHealth.refresh();
    const health = await request(testApp.app).get('/healthz').set(HEALTHZ_AUTH);
    expect(health.body).toMatchObject({ status: 'degraded', storage: { mode: 's3', s3: { reachable: false } } });
  });

  it('keeps showing a local avatar after S3 is back, and new uploads go to S3 again', async () => {
    const agent = await signUp(testApp.app, 'flaky');
    await ownS3.pause();
    await uploadAvatar(agent, await makeImage('png'), 'a.png', 'image/png');
    const localSrc = avatarSrc((await agent.get('/profile')).text);
    expect(localSrc.startsWith('/static/avatars/')).toBe(true);

    await ownS3.restart();
    // The failed upload opened the circuit breaker; the health probe sees S3 again and closes it.
    await testApp.storageHealth.refresh();
    const publicPage = await request(testApp.app).get('/users/flaky');
    expect(publicPage.text).toContain(`src="${localSrc}"`);
    await uploadAvatar(agent, await makeImage('png'), 'b.png', 'image/png');
    const s3Src = avatarSrc((await agent.get('/profile')).text);
    expect(s3Src.startsWith(`${ownS3.endpoint}/${testApp.bucket}/avatars/`)).toBe(true);
    expect((await request(testApp.app).get(localSrc)).status).toBe(404);
  });
});
