/**
 * images:regenerate keeps the backup bucket in step (#15, problems 1 and 2): the keys it
 * writes are owed to the backup through the same outbox as uploads, and the keys it replaced
 * leave the backup bucket as they leave the primary. MinIO or s3rver; PGlite and PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { regenerateOutdatedImages } from '../../src/files/regenerateImages.ts';
import { createLogger } from '../../src/logger.ts';
import { IMMUTABLE_CACHE_CONTROL } from '../../src/storage/cachePolicy.ts';
import { createFallbackWriter } from '../../src/storage/fallbackWriter.ts';
import { createResync } from '../../src/files/resync.ts';
import { s3AdapterFor } from '../../src/storage/storageFromConfig.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { listObjects } from '../support/storedState.ts';
import { availableDatabases, createTestApp, type TestApp } from '../support/testApp.ts';

const server = inject('s3');
const logger = createLogger({ level: 'silent' });

for (const database of availableDatabases(inject('databaseUrlAvailable'))) {
  describe(`images:regenerate with a backup bucket, on ${database}`, () => {
    let testApp: TestApp;
    beforeAll(async () => {
      testApp = await createTestApp({ s3: server, backupBucket: true, database });
    });
    afterAll(async () => testApp?.close());

    it('queues backup copies of the keys it writes and removes the replaced keys from the backup', async () => {
      const { db } = testApp;
      const s3 = testApp.imageStorage.adapterFor('s3')!;
      const local = testApp.imageStorage.adapterFor('local')!;
      const backupSettings = {
        bucket: testApp.backupBucket!,
        region: server.region,
        endpoint: server.endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      };
      const backup = s3AdapterFor(backupSettings);

      // An image from before the pipeline, stored as sent, already backed up.
      const oldKey = `avatars/u9-${randomBytes(16).toString('hex')}.png`;
      const original = await makeImage('png', 600, 600, '#446688');
      const put = { contentType: 'image/png', cacheControl: IMMUTABLE_CACHE_CONTROL };
      await s3.put(oldKey, original, put);
      await backup.put(oldKey, original, put);
      await db
        .insertInto('stored_files')
        .values({
          owner_id: null,
          folder: 'avatars',
          key: oldKey,
          location: 's3',
          content_type: 'image/png',
          bytes: original.length,
          sha256: 'b'.repeat(64),
          backed_up_at: new Date(),
        })
        .execute();
      expect(await listObjects(server, testApp.backupBucket!)).toEqual([oldKey]);

      const summary = await regenerateOutdatedImages({
        db,
        adapterFor: (location) => (location === 's3' ? s3 : local),
        writeObjects: createFallbackWriter({ s3, local, logger }),
        limits: { maxPixels: 40_000_000 },
        logger,
        backup,
      });
      expect(summary).toMatchObject({ regenerated: 1, failed: 0 });
      const newKeys = await listObjects(server, testApp.bucket!);
      expect(newKeys).not.toContain(oldKey);
      expect(newKeys.length).toBe(4);
      // The replaced key is gone from the backup; the new ones are owed to it through the outbox.
      expect(await listObjects(server, testApp.backupBucket!)).toEqual([]);
      expect(await db.selectFrom('pending_copies').select(['target', 'state']).execute()).toEqual([
        { target: 'backup', state: 'copy' },
      ]);

      const pass = await createResync({ db, s3, local, backup, logger }).runPass({ ignoreLeases: true });
      expect(pass).toMatchObject({ backedUp: 1, failed: 0 });
      expect(await listObjects(server, testApp.backupBucket!)).toEqual(newKeys);
      const row = await db.selectFrom('stored_files').selectAll().executeTakeFirstOrThrow();
      expect(row.backed_up_at).not.toBeNull();
    });
  });
}
