/**
 * A missing variant is repaired, not fatal (#15, problem 6): resync and storage:migrate rebuild
 * it from the largest variant left and move the whole image; start-up marks an image lost only
 * when none of its variants is left; and then what is left of it elsewhere is garbage to gc,
 * because a lost row no longer counts as a reference. Real S3 server; PGlite and PostgreSQL.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { buffer as readAll } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { processImage } from '../../src/images/processImage.ts';
import { createLogger } from '../../src/logger.ts';
import { collectGarbage } from '../../src/files/collectGarbage.ts';
import { describeProcessedImage } from '../../src/files/imageRecord.ts';
import { reconcileLocalFiles } from '../../src/files/lostFiles.ts';
import { migrateLocalToS3 } from '../../src/files/migrateLocalToS3.ts';
import { enqueueCopy } from '../../src/files/outbox.ts';
import { createResync } from '../../src/files/resync.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { listObjects } from '../support/storedState.ts';
import { availableDatabases, createTestApp, type TestApp } from '../support/testApp.ts';

const server = inject('s3');
const logger = createLogger({ level: 'silent' });

for (const database of availableDatabases(inject('databaseUrlAvailable'))) {
  describe(`missing variants, on ${database}`, () => {
    let testApp: TestApp;
    beforeAll(async () => {
      testApp = await createTestApp({ s3: server, database });
    });
    afterAll(async () => testApp?.close());

    const adapters = () => ({
      s3: testApp.imageStorage.adapterFor('s3')!,
      local: testApp.imageStorage.adapterFor('local')!,
    });

    /** An avatar that fell back to local disk: four variants on disk, its row, its outbox entry. */
    async function localAvatar(colour: string, prefix: string) {
      const processed = await processImage(await makeImage('png', 600, 600, colour), 'avatars', {
        maxPixels: 40_000_000,
      });
      const { objects, fields } = describeProcessedImage(processed, 'avatars', prefix);
      for (const object of objects)
        await adapters().local.put(object.key, object.open() as Buffer, {
          contentType: 'image/webp',
          cacheControl: 'no-store',
        });
      const row = await testApp.db
        .insertInto('stored_files')
        .values({ ...fields, owner_id: null, location: 'local' })
        .returningAll()
        .executeTakeFirstOrThrow();
      await enqueueCopy(testApp.db, row.id, 'primary');
      return { id: row.id, keys: objects.map((object) => object.key) };
    }
    const removeLocal = (key: string) => fs.rm(path.join(testApp.localDir, 'static', key));
    const rowOf = (id: number) =>
      testApp.db.selectFrom('stored_files').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

    it('resync rebuilds a missing middle variant and the missing largest one, and moves the image whole', async () => {
      const middle = await localAvatar('#225588', 'u71');
      const largest = await localAvatar('#882255', 'u72');
      await removeLocal(middle.keys[1]!);
      await removeLocal(largest.keys[0]!);
      expect(await reconcileLocalFiles(testApp.db, adapters().local, logger)).toBe(0);

      const { s3, local } = adapters();
      const summary = await createResync({ db: testApp.db, s3, local, logger }).runPass({ ignoreLeases: true });
      expect(summary).toMatchObject({ moved: 2, lost: 0, failed: 0 });
      const bucketKeys = await listObjects(server, testApp.bucket!);
      for (const id of [middle.id, largest.id]) {
        const row = await rowOf(id);
        expect(row).toMatchObject({ location: 's3', lost_at: null, key: row.variants?.[0]?.key });
        expect(row.variants?.map((variant) => [variant.width, variant.height])).toEqual([
          [512, 512],
          [256, 256],
          [128, 128],
          [64, 64],
        ]);
        for (const variant of row.variants ?? []) {
          expect(bucketKeys).toContain(variant.key);
          const bytes = await readAll(await s3.get(variant.key));
          expect(bytes.length).toBe(variant.bytes);
          const sharp = (await import('sharp')).default;
          expect(await sharp(bytes).metadata()).toMatchObject({ format: 'webp', width: variant.width });
        }
      }
      // Rebuilding the 256 from the 512 may give the very bytes (and content key) it had.
      expect((await rowOf(largest.id)).key).not.toBe(largest.keys[0]);
    });

    it('storage:migrate rebuilds a missing variant too', async () => {
      const image = await localAvatar('#558822', 'u73');
      await removeLocal(image.keys[3]!);
      const { s3, local } = adapters();
      const summary = await migrateLocalToS3({ db: testApp.db, s3, local, logger });
      expect(summary).toMatchObject({ moved: 1, failed: [] });
      const row = await rowOf(image.id);
      expect(row.location).toBe('s3');
      expect(row.variants).toHaveLength(4);
      for (const variant of row.variants ?? []) expect(await s3.head(variant.key)).toBeDefined();
    });

    it('an image with no variant left is lost at start-up, and what is left of it in S3 is collected', async () => {
      const image = await localAvatar('#885522', 'u74');
      // An interrupted resync had uploaded one variant before the disk was wiped.
      const { s3, local } = adapters();
      await s3.put(image.keys[0]!, await readAll(await local.get(image.keys[0]!)), {
        contentType: 'image/webp',
        cacheControl: 'no-store',
      });
      for (const key of image.keys) await removeLocal(key);
      expect(await reconcileLocalFiles(testApp.db, local, logger)).toBe(1);
      expect((await rowOf(image.id)).lost_at).not.toBeNull();

      const twoDaysLater = () => new Date(Date.now() + 48 * 3_600_000);
      const summary = await collectGarbage(
        { db: testApp.db, adapters: [s3, local], logger, now: twoDaysLater },
        { olderThanMs: 24 * 3_600_000, delete: true },
      );
      expect(summary.objects).toEqual([expect.objectContaining({ location: 's3', key: image.keys[0], deleted: true })]);
      expect(await listObjects(server, testApp.bucket!)).not.toContain(image.keys[0]);
    });
  });
}
