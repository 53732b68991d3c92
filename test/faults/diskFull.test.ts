/**
 * A full disk while S3 is down and there is no outage store in PostgreSQL (the embedded
 * database), so uploads fall back to local disk: the member gets the 507 sentence on the form
 * they came from, with what they typed kept; nothing half-written remains (no partial or temp
 * file, no row, no object); the app keeps serving pages; /healthz says which disk is full.
 * Twice: with ENOSPC injected at the local adapter's write boundary (always runs), and on a
 * real 2 MiB tmpfs holding LOCAL_STORAGE_DIR and UPLOAD_TEMP_DIR (where mounting is allowed),
 * which also fills the form upload's spool.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Agent, csrfTokenFor, signUp, uploadAvatar } from '../support/browserlessMember.ts';
import { diskFullAfter, mountSmallTmpfs, type SmallTmpfs, tmpfsUnavailable } from '../support/fullDisk.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { closedPortEndpoint } from '../support/network.ts';
import { listObjects } from '../support/storedState.ts';
import { createTestApp, HEALTHZ_AUTH, type TestApp } from '../support/testApp.ts';
import { makeMp4 } from '../support/videoFixtures.ts';

const s3 = inject('s3');
const DISK_FULL =
  'The server&#39;s disk is full, so your upload could not be kept and nothing was saved. Please try again later.';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile() && entry.name !== '.filler').map((entry) => entry.name);
}

/** Files this process has open under `dir` (Linux: /proc/self/fd). */
async function descriptorsUnder(dir: string): Promise<string[]> {
  const open: string[] = [];
  for (const fd of await fs.readdir('/proc/self/fd')) {
    const target = await fs.readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir)) open.push(target);
  }
  return open;
}

function submitVideo(agent: Agent, token: string, thumbnail: Buffer, video: Buffer) {
  return agent
    .post('/videos')
    .field('_csrf', token)
    .field('title', 'Kept title')
    .field('description', 'Words the member typed')
    .attach('thumbnail', thumbnail, { filename: 'thumb.jpg', contentType: 'image/jpeg' })
    .attach('video', video, { filename: 'clip.mp4', contentType: 'video/mp4' });
}

async function expectNothingKept(testApp: TestApp, dirs: string[]) {
  for (const dir of dirs) expect(await filesUnder(dir)).toEqual([]);
  expect(await testApp.db.selectFrom('stored_files').select('id').execute()).toEqual([]);
  expect(await testApp.db.selectFrom('videos').select('id').execute()).toEqual([]);
  expect(await listObjects(s3, testApp.bucket!)).toEqual([]);
}

async function healthReasons(testApp: TestApp): Promise<string[]> {
  const health = await request(testApp.app).get('/healthz').set(HEALTHZ_AUTH);
  expect(health.status).toBe(200);
  return (health.body as { reasons: string[] }).reasons;
}

describe(`a full local disk while S3 is down: ENOSPC injected at the write boundary (S3: ${s3.kind})`, () => {
  let testApp: TestApp;
  const disk = { writesThatFit: 0 };
  const openLocalWrite = diskFullAfter(disk);

  beforeAll(async () => {
    testApp = await createTestApp({ s3, s3Overrides: { endpoint: await closedPortEndpoint() }, openLocalWrite });
  });
  afterAll(() => testApp?.close());

  it('an avatar whose second variant finds the disk full: 507 on the profile form, no file or row left', async () => {
    const agent = await signUp(testApp.app, 'fulldisk1');
    disk.writesThatFit = openLocalWrite.opened() + 1;
    const response = await uploadAvatar(agent, await makeImage('jpeg', 256, 256, '#884422'), 'me.jpg');
    expect(response.status).toBe(507);
    expect(response.text).toContain(DISK_FULL);
    expect(response.text).toMatch(/<title>Error: Your profile/);
    expect(openLocalWrite.opened()).toBeGreaterThanOrEqual(2);
    await expectNothingKept(testApp, [
      path.join(testApp.localDir, 'static'),
      path.join(testApp.localDir, 'upload-tmp'),
    ]);
    expect((await healthReasons(testApp)).join('\n')).toMatch(
      /The local disk is full: \d+ bytes free under .+static \(LOCAL_STORAGE_DIR\), and a write there failed for lack of space/,
    );
    expect((await agent.get('/')).status).toBe(200);
    expect((await agent.get('/profile')).status).toBe(200);
  });

  it('a video form: 507 next to the video with the title and description kept, then uploads work once there is room', async () => {
    const agent = await signUp(testApp.app, 'fulldisk2');
    disk.writesThatFit = openLocalWrite.opened();
    const token = await csrfTokenFor(agent, '/videos/new');
    const response = await submitVideo(agent, token, await makeImage('jpeg', 160, 90, '#224488'), makeMp4(64 * 1024));
    expect(response.status).toBe(507);
    expect(response.text).toContain(DISK_FULL);
    expect(response.text).toContain('value="Kept title"');
    expect(response.text).toContain('Words the member typed');
    await expectNothingKept(testApp, [
      path.join(testApp.localDir, 'static'),
      path.join(testApp.localDir, 'upload-tmp'),
    ]);

    disk.writesThatFit = Number.POSITIVE_INFINITY;
    expect((await uploadAvatar(agent, await makeImage('jpeg', 256, 256, '#118822'), 'me.jpg')).status).toBe(303);
    expect((await filesUnder(path.join(testApp.localDir, 'static'))).length).toBeGreaterThan(0);
  });
});

const noTmpfs = await tmpfsUnavailable();

describe.skipIf(noTmpfs !== undefined)(
  `a full local disk while S3 is down: a real 2 MiB tmpfs (S3: ${s3.kind}) (needs ${noTmpfs ?? 'root and mount'})`,
  () => {
    let testApp: TestApp;
    let tmpfs: SmallTmpfs;

    beforeAll(async () => {
      tmpfs = await mountSmallTmpfs(2 * 1024 * 1024);
      testApp = await createTestApp({
        s3,
        s3Overrides: { endpoint: await closedPortEndpoint() },
        extraEnv: { LOCAL_STORAGE_DIR: path.join(tmpfs.dir, 'static'), UPLOAD_TEMP_DIR: path.join(tmpfs.dir, 'spool') },
      });
    });
    afterAll(async () => {
      await testApp?.close();
      await tmpfs?.unmount();
    });

    it('the fallback write and the form spool both refuse with 507, leave nothing, and work again once space is freed', async () => {
      const agent = await signUp(testApp.app, 'tmpfsfull');
      const token = await csrfTokenFor(agent, '/videos/new');
      await tmpfs.fill();

      const avatar = await uploadAvatar(agent, await makeImage('jpeg', 256, 256, '#663399'), 'me.jpg');
      expect(avatar.status).toBe(507);
      expect(avatar.text).toContain(DISK_FULL);

      const video = await submitVideo(agent, token, await makeImage('jpeg', 160, 90, '#336699'), makeMp4(300 * 1024));
      expect(video.status).toBe(507);
      expect(video.text).toContain(DISK_FULL);
      expect(video.text).toContain('value="Kept title"');
      expect(video.text).toContain('Words the member typed');

      await expectNothingKept(testApp, [tmpfs.dir]);
      const reasons = (await healthReasons(testApp)).join('\n');
      expect(reasons).toMatch(/The local disk is full: \d+ bytes free under .+ \(LOCAL_STORAGE_DIR\)/);
      expect(reasons).toMatch(/The local disk is full: \d+ bytes free under .+ \(UPLOAD_TEMP_DIR\)/);
      expect((await agent.get('/')).status).toBe(200);

      await tmpfs.free();
      expect((await uploadAvatar(agent, await makeImage('jpeg', 256, 256, '#119966'), 'me.jpg')).status).toBe(303);
      expect(
        (await submitVideo(agent, token, await makeImage('jpeg', 160, 90, '#993366'), makeMp4(300 * 1024))).status,
      ).toBe(303);
      // Nothing is held open on that disk either: a deleted spool file kept open still takes its space.
      expect(await descriptorsUnder(tmpfs.dir)).toEqual([]);
    });
  },
);
