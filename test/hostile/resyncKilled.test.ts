/**
 * HOSTILE-INPUT #17. Resync SIGKILLed after each step in turn (after upload, after verify, after the row flip,
 * after clean-up) and run again: it always ends with exactly the image's objects in S3, one
 * consistent row, no pending copy, and no local file.
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

describe('resync killed at any step converges', () => {
  it.each(['uploaded', 'verified', 'flipped', 'cleaned'])(
    '#17 SIGKILL after "%s", then a rerun → one set of objects in S3, one consistent row, local copy gone',
    async (step) => {
      const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-kill-'));
      const postgres = await createTestDatabaseUrl();
      const database: Record<string, string> = postgres
        ? { DATABASE_URL: postgres.url }
        : { PGLITE_DIR: path.join(workDir, 'db') };
      const bucket = `kill-${randomBytes(4).toString('hex')}`;
      await createBucket(server, bucket);
      const localDir = path.join(workDir, 'static');
      try {
        // An avatar uploaded while S3 was unreachable: on local disk, with a pending copy.
        const db = await openDatabase({
          databaseUrl: postgres?.url,
          dataDir: postgres ? undefined : path.join(workDir, 'db'),
        });
        const unreachable = s3AdapterFor(s3SettingsFor(server, bucket, await closedPortEndpoint()));
        const local = createLocalAdapter({ rootDir: localDir, publicPath: '/static' });
        const storage = createImageStorage({
          db,
          s3: unreachable,
          local,
          logger: captureLogs().logger,
          placeholderUrl: () => '',
          imageJobs: createImageJobQueue(1),
          maxImagePixels: 40e6,
        });
        const upload = await storage.uploadImage(
          { buffer: await makeImage('jpeg', 600, 600, '#8040c0') },
          'avatars',
          'u1',
          1,
        );
        const variantKeys = (upload.file.variants ?? []).map((variant) => variant.key).sort();
        await db.destroy();

        const childEnv = {
          ...database,
          BUCKET: bucket,
          S3_ENDPOINT: server.endpoint,
          S3_ACCESS_KEY_ID: server.accessKeyId,
          S3_SECRET_ACCESS_KEY: server.secretAccessKey,
          LOCAL_DIR: localDir,
        };
        expect((await runResyncChild({ ...childEnv, CRASH_AT: step })).killedBy).toBe('SIGKILL');
        const rerun = await runResyncChild(childEnv);
        expect(rerun.killedBy).toBeNull();

        const reopened = await openDatabase({
          databaseUrl: postgres?.url,
          dataDir: postgres ? undefined : path.join(workDir, 'db'),
        });
        const rows = await reopened.selectFrom('stored_files').select(['location', 'key']).execute();
        const pending = await reopened.selectFrom('pending_copies').selectAll().execute();
        await reopened.destroy();
        expect(rows).toEqual([{ location: 's3', key: upload.file.key }]);
        expect(pending).toEqual([]);
        expect(await listObjects(server, bucket)).toEqual(variantKeys);
        expect(await fs.readdir(path.join(localDir, 'avatars'))).toEqual([]);
      } finally {
        await postgres?.drop();
        await fs.rm(workDir, { recursive: true, force: true });
      }
      // Two child processes, each starting TypeScript and an embedded database.
    },
    120_000,
  );
});
