/**
 * Regeneration against a real S3 server: images stored before the pipeline (as sent) or
 * under an older spec get today's variants, old objects go, and a stopped run resumes.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, type AppDatabase } from '../../src/db/database.ts';
import {
  countOutdatedImages,
  regenerateOutdatedImages,
  type RegenerationDeps,
} from '../../src/files/regenerateImages.ts';
import { VARIANT_SPEC_VERSION } from '../../src/images/variantSpecs.ts';
import { createLocalAdapter } from '../../src/storage/adapters/local.ts';
import { createS3Adapter } from '../../src/storage/adapters/s3.ts';
import { publicBaseUrlFor } from '../../src/storage/publicBaseUrl.ts';
import type { StorageAdapter } from '../../src/storage/contract.ts';
import { createFallbackWriter } from '../../src/storage/fallbackWriter.ts';
import { createS3Client } from '../../src/storage/s3Client.ts';
import { captureLogs } from '../support/captureLogs.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { createBucket, s3SettingsFor } from '../support/s3Server.ts';
import { listObjects } from '../support/storedState.ts';

const server = inject('s3');

describe('images:regenerate', () => {
  let db: AppDatabase;
  let s3: StorageAdapter;
  let bucket: string;
  let localDir: string;
  let deps: RegenerationDeps;

  beforeAll(async () => {
    db = await openDatabase({ databaseUrl: undefined, dataDir: undefined });
    bucket = `regen-${randomBytes(4).toString('hex')}`;
    await createBucket(server, bucket);
    const settings = s3SettingsFor(server, bucket);
    s3 = createS3Adapter({ client: createS3Client(settings), bucket, publicBaseUrl: publicBaseUrlFor(settings) });
    localDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-regen-'));
    const local = createLocalAdapter({ rootDir: localDir, publicPath: '/static' });
    const { logger } = captureLogs();
    deps = {
      db,
      adapterFor: (location) => (location === 's3' ? s3 : local),
      writeObjects: createFallbackWriter({ s3, local, logger }),
      limits: { maxPixels: 40_000_000 },
      logger,
    };
  });
  afterAll(async () => {
    await db.destroy();
    await fs.rm(localDir, { recursive: true, force: true });
  });

  /** An image as the app stored it before the pipeline: the original bytes, no variants. */
  async function legacyImage(folder: 'avatars' | 'thumbnails', bytes: Buffer, extension: string): Promise<number> {
    const key = `${folder}/u9-${randomBytes(16).toString('hex')}.${extension}`;
    await s3.put(key, bytes, {
      contentType: `image/${extension}`,
      cacheControl: 'public, max-age=31536000, immutable',
    });
    const row = await db
      .insertInto('stored_files')
      .values({
        owner_id: 9,
        folder,
        key,
        location: 's3',
        content_type: `image/${extension}`,
        bytes: bytes.length,
        sha256: 'x'.repeat(64),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  it('rebuilds pre-pipeline images from their originals, removes the originals, and resumes when stopped', async () => {
    const ids = [
      await legacyImage('avatars', await makeImage('png', 700, 700, '#204080'), 'png'),
      await legacyImage('thumbnails', await makeImage('jpeg', 1400, 900, '#806020'), 'jpeg'),
      await legacyImage('avatars', await makeImage('gif', 100, 100, '#20a040'), 'gif'),
    ];
    const originals = await listObjects(server, bucket);
    expect(await countOutdatedImages(db)).toBe(3);

    const progress: number[] = [];
    const first = await regenerateOutdatedImages(deps, { limit: 1, onProgress: ({ done }) => progress.push(done) });
    expect(first).toMatchObject({ regenerated: 1, failed: 0, total: 1 });
    expect(progress).toEqual([1]);
    expect(await countOutdatedImages(db)).toBe(2);

    const rest = await regenerateOutdatedImages(deps);
    expect(rest).toMatchObject({ regenerated: 2, failed: 0, total: 2 });
    expect(await countOutdatedImages(db)).toBe(0);

    const rows = await db.selectFrom('stored_files').selectAll().where('id', 'in', ids).orderBy('id').execute();
    expect(rows.map((row) => row.variants?.map((variant) => variant.width))).toEqual([
      [512, 256, 128, 64],
      [1280, 640, 320],
      [64],
    ]);
    const keys = await listObjects(server, bucket);
    for (const row of rows) {
      expect(row).toMatchObject({ spec_version: VARIANT_SPEC_VERSION, content_type: 'image/webp', location: 's3' });
      expect(row.key).toMatch(/^(avatars|thumbnails)\/u9-[0-9a-f]{32}\.webp$/);
      for (const variant of row.variants ?? []) expect(keys).toContain(variant.key);
    }
    for (const original of originals) expect(keys).not.toContain(original);

    expect(await regenerateOutdatedImages(deps)).toMatchObject({ regenerated: 0, total: 0 });
  });

  it('rebuilds from the largest variant when the spec version is behind, and reports images it cannot read', async () => {
    const current = await legacyImage('avatars', await makeImage('png', 600, 600, '#aa2266'), 'png');
    await regenerateOutdatedImages(deps);
    await db.updateTable('stored_files').set({ spec_version: 0 }).where('id', '=', current).execute();
    const broken = await legacyImage('avatars', Buffer.from('not really an image'), 'png');

    const summary = await regenerateOutdatedImages(deps);
    expect(summary).toMatchObject({ regenerated: 1, failed: 1 });
    expect(summary.failures[0]).toMatchObject({ id: broken });
    expect(summary.failures[0]!.reason).toContain('not an image we recognise');
    const row = await db
      .selectFrom('stored_files')
      .select(['spec_version', 'variants'])
      .where('id', '=', current)
      .executeTakeFirstOrThrow();
    expect(row.spec_version).toBe(VARIANT_SPEC_VERSION);
    expect(await countOutdatedImages(db)).toBe(1);
  });
});
