/**
 * HOSTILE-INPUT #17. Resync SIGKILLed after each step in turn (after upload, after verify, after the row flip,
 * after clean-up) and run again: it always ends with exactly the image's objects in S3, one
 * consistent row, no pending copy, and no local file. And a background pass (which honours
 * leases) killed mid-pass holds only the file it was on: the next pass moves the others at once.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { createImageJobQueue } from '../../src/images/imageJobQueue.ts';
import { createLocalAdapter } from '../../src/storage/adapters/local.ts';
import { createImageStorage } from '../../src/files/imageStorage.ts';
import { s3AdapterFor } from '../../src/storage/storageFromConfig.ts';
import { captureLogs } from '../support/captureLogs.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { closedPortEndpoint } from '../support/network.ts';
import { createTestDatabaseUrl } from '../support/postgres.ts';
import { createBucket, s3SettingsFor } from '../support/s3Server.ts';
import { listObjects } from '../support/storedState.ts';

const run = promisify(execFile);
const server = inject('s3');

async function runResyncChild(env: Record<string, string>): Promise<{ killedBy: string | null; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, ['test/support/resyncChild.ts'], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { killedBy: null, stdout };
  } catch (error) {
    const failure = error as { signal?: string | null; stderr?: string };
    if (failure.signal) return { killedBy: failure.signal, stdout: '' };
    throw new Error(`resync child failed: ${failure.stderr ?? String(error)}`);
  }
}

/**
 * A database, a bucket and a local disk for one test, with avatars uploaded while S3 was
 * unreachable (each on local disk with a pending copy), and the environment a resync child needs.
 */
async function sceneWithFallenBackAvatars(colours: string[], size: number) {
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-kill-'));
  const postgres = await createTestDatabaseUrl();
  const database: Record<string, string> = postgres
    ? { DATABASE_URL: postgres.url }
    : { PGLITE_DIR: path.join(workDir, 'db') };
  const bucket = `kill-${randomBytes(4).toString('hex')}`;
  await createBucket(server, bucket);
  const localDir = path.join(workDir, 'static');
  const open = () =>
    openDatabase({ databaseUrl: postgres?.url, dataDir: postgres ? undefined : path.join(workDir, 'db') });
  const db = await open();
  const storage = createImageStorage({
    db,
    s3: s3AdapterFor(s3SettingsFor(server, bucket, await closedPortEndpoint())),
    local: createLocalAdapter({ rootDir: localDir, publicPath: '/static' }),
    logger: captureLogs().logger,
    placeholderUrl: () => '',
    imageJobs: createImageJobQueue(1),
    maxImagePixels: 40e6,
  });
  const uploads = [];
  for (const [index, colour] of colours.entries())
    uploads.push(
      await storage.uploadImage(
        { buffer: await makeImage('jpeg', size, size, colour) },
        'avatars',
        `u${index + 1}`,
        index + 1,
      ),
    );
  await db.destroy();
  return {
    uploads,
    bucket,
    localDir,
    open,
    childEnv: {
      ...database,
      BUCKET: bucket,
      S3_ENDPOINT: server.endpoint,
      S3_ACCESS_KEY_ID: server.accessKeyId,
      S3_SECRET_ACCESS_KEY: server.secretAccessKey,
      LOCAL_DIR: localDir,
    },
    async remove() {
      await postgres?.drop();
      await fs.rm(workDir, { recursive: true, force: true });
    },
  };
}

describe('resync killed at any step converges', () => {
  it.each(['uploaded', 'verified', 'flipped', 'cleaned'])(
    '#17 SIGKILL after "%s", then a rerun → one set of objects in S3, one consistent row, local copy gone',
    async (step) => {
      const scene = await sceneWithFallenBackAvatars(['#8040c0'], 600);
      try {
        const upload = scene.uploads[0]!;
        const variantKeys = (upload.file.variants ?? []).map((variant) => variant.key).sort();
        expect((await runResyncChild({ ...scene.childEnv, CRASH_AT: step })).killedBy).toBe('SIGKILL');
        const rerun = await runResyncChild(scene.childEnv);
        expect(rerun.killedBy).toBeNull();

        const reopened = await scene.open();
        const rows = await reopened.selectFrom('stored_files').select(['location', 'key']).execute();
        const pending = await reopened.selectFrom('pending_copies').selectAll().execute();
        await reopened.destroy();
        expect(rows).toEqual([{ location: 's3', key: upload.file.key }]);
        expect(pending).toEqual([]);
        expect(await listObjects(server, scene.bucket)).toEqual(variantKeys);
        expect(await fs.readdir(path.join(scene.localDir, 'avatars'))).toEqual([]);
      } finally {
        await scene.remove();
      }
      // Two child processes, each starting TypeScript and an embedded database.
    },
    120_000,
  );

  it('#17 a background pass SIGKILLed mid-batch holds only the file it was copying: the next pass moves the rest at once', async () => {
    const scene = await sceneWithFallenBackAvatars(['#c04080', '#40c080', '#4080c0'], 300);
    try {
      const childEnv = { ...scene.childEnv, HONOUR_LEASES: '1' };
      // Killed after copying the first file: a worker on Render replaced mid-pass.
      expect((await runResyncChild({ ...childEnv, CRASH_AT: 'uploaded' })).killedBy).toBe('SIGKILL');
      const next = await runResyncChild(childEnv);
      expect(next.killedBy).toBeNull();
      // Claiming a whole batch held all three until the killed pass's lease ran out: this pass moved none.
      expect(JSON.parse(next.stdout)).toMatchObject({ moved: 2, failed: 0, lost: 0 });

      const reopened = await scene.open();
      const locations = await reopened.selectFrom('stored_files').select('location').orderBy('id').execute();
      await reopened.destroy();
      expect(locations.map((row) => row.location)).toEqual(['local', 's3', 's3']);
    } finally {
      await scene.remove();
    }
  }, 120_000);
});
