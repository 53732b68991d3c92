/**
 * An avatar that fell back while S3 was down is being copied into S3 by resync when its
 * member replaces it: the row resync would flip is gone, and so are its local bytes. The
 * copies resync already put in the bucket belong to nobody, and resync removes them — before,
 * they stayed until storage:gc (the soak run counted them as objects without a row).
 * Replaced after the upload (the check against the source then fails) and after the check
 * (the flip then finds no row); and, the same way, a file replaced while it was being copied to
 * the backup bucket leaves nothing there.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createResync, type ResyncStep } from '../../src/files/resync.ts';
import { createLogger } from '../../src/logger.ts';
import type { StorageAdapter } from '../../src/storage/contract.ts';
import { s3AdapterFor } from '../../src/storage/storageFromConfig.ts';
import { signUp, uploadAvatar } from '../support/browserlessMember.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { type S3Connection, s3SettingsFor, startS3Server, type S3TestServer } from '../support/s3Server.ts';
import { listObjects } from '../support/storedState.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';

const adapterOn = (server: S3Connection, bucket: string): StorageAdapter => s3AdapterFor(s3SettingsFor(server, bucket));

describe('resync of an image replaced while it was being copied', () => {
  let s3: S3TestServer;
  let testApp: TestApp;
  beforeAll(async () => {
    s3 = await startS3Server();
    // The app's breaker stays open all test long, so its own resync never races the pass under test.
    testApp = await createTestApp({ s3, breakerCooldownMs: 600_000 });
  });
  afterAll(async () => {
    await testApp?.close();
    await s3?.stop();
  });

  it.each<[ResyncStep, string]>([
    ['uploaded', 'ann'],
    ['verified', 'ben'],
  ])(
    'removes its copies of the replaced image when the member replaces it once the copy is %s',
    async (moment, name) => {
      const member = await signUp(testApp.app, `replaced-${name}`);
      await s3.pause();
      expect((await uploadAvatar(member, await makeImage('jpeg', 300, 300, '#aa2200'), 'first.jpg')).status).toBe(303);
      const first = await testApp.db
        .selectFrom('stored_files')
        .selectAll()
        .where('folder', '=', 'avatars')
        .where(
          'owner_id',
          '=',
          (
            await testApp.db
              .selectFrom('users')
              .select('id')
              .where('username', '=', `replaced-${name}`)
              .executeTakeFirstOrThrow()
          ).id,
        )
        .executeTakeFirstOrThrow();
      expect(first.location).not.toBe('s3');
      await s3.restart();

      const firstKeys = (first.variants ?? []).map((variant) => variant.key);
      let replaced = false;
      const resync = createResync({
        db: testApp.db,
        s3: s3AdapterFor({
          bucket: testApp.bucket!,
          region: s3.region,
          endpoint: s3.endpoint,
          forcePathStyle: true,
          credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
        }),
        local: testApp.imageStorage.adapterFor('local')!,
        outageStore: testApp.imageStorage.adapterFor('db'),
        logger: createLogger({ level: 'silent' }),
        async onStep(step, fileId) {
          if (step !== moment || fileId !== first.id) return;
          expect(await listObjects(s3, testApp.bucket!)).toEqual(expect.arrayContaining(firstKeys));
          // The app's breaker is still open, so the new picture falls back too; the old row goes either way.
          const reply = await uploadAvatar(member, await makeImage('jpeg', 300, 300, '#0044aa'), 'second.jpg');
          expect(reply.status).toBe(303);
          replaced = true;
        },
      });
      const summary = await resync.runPass({ ignoreLeases: true, fileIds: [first.id] });
      expect(replaced).toBe(true);
      expect(summary).toMatchObject({ moved: 0, lost: 0, failed: 0 });

      expect(await testApp.db.selectFrom('stored_files').select('id').where('id', '=', first.id).execute()).toEqual([]);
      const bucket = await listObjects(s3, testApp.bucket!);
      expect(bucket.filter((key) => firstKeys.includes(key))).toEqual([]);
      expect(
        await testApp.db.selectFrom('pending_copies').select('id').where('file_id', '=', first.id).execute(),
      ).toEqual([]);
    },
    60_000,
  );
});

describe('backup copy of an image replaced while it was being copied', () => {
  const server = inject('s3');
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ s3: server, backupBucket: true });
    // The app's own loop stopped (a breaker closing on a busy shared MinIO kicks a pass), so only the pass under test copies.
    await testApp.resyncLoop!.drain(0);
  });
  afterAll(async () => testApp?.close());

  it('leaves in the backup bucket only what a row still names', async () => {
    const member = await signUp(testApp.app, 'backup-changer');
    expect((await uploadAvatar(member, await makeImage('jpeg', 300, 300, '#22aa44'), 'first.jpg')).status).toBe(303);
    const backup = adapterOn(server, testApp.backupBucket!);
    let replaced = false;
    // The member replaces the avatar right after its first object reached the backup bucket
    // (a real server cannot be asked to pause between two requests of a copy).
    const replacingBackup: StorageAdapter = {
      ...backup,
      async put(key, body, options) {
        const written = await backup.put(key, body, options);
        if (!replaced) {
          replaced = true;
          const reply = await uploadAvatar(member, await makeImage('jpeg', 300, 300, '#aa4422'), 'second.jpg');
          expect(reply.status).toBe(303);
        }
        return written;
      },
    };
    const summary = await createResync({
      db: testApp.db,
      s3: adapterOn(server, testApp.bucket!),
      local: testApp.imageStorage.adapterFor('local')!,
      backup: replacingBackup,
      logger: createLogger({ level: 'silent' }),
    }).runPass({ ignoreLeases: true });
    expect(replaced).toBe(true);
    // The replaced file counts for nothing; the new one, claimed later in the same pass, is backed up.
    expect(summary.failures).toEqual([]);
    expect(summary).toMatchObject({ backedUp: 1, failed: 0 });

    const primary = await listObjects(server, testApp.bucket!);
    expect(primary.length).toBeGreaterThan(0);
    expect(await listObjects(server, testApp.backupBucket!)).toEqual(primary);
    expect(await testApp.db.selectFrom('pending_copies').select('id').execute()).toEqual([]);
  });
});
