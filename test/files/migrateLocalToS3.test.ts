/**
 * storage:migrate against a real S3 server: local rows (every variant) and legacy files no row
 * knows end up in S3 and recorded there, local copies go, and reruns, stopped runs and dry
 * runs never move anything twice or change anything they should not.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { openDatabase, type AppDatabase } from '../../src/db/database.ts';
import type { StoredVariant } from '../../src/db/schema.ts';
import { createLocalAdapter } from '../../src/storage/adapters/local.ts';
import { createS3Adapter } from '../../src/storage/adapters/s3.ts';
import { publicBaseUrlFor } from '../../src/storage/publicBaseUrl.ts';
import type { StorageAdapter } from '../../src/storage/contract.ts';
import { crc64nvmeBase64 } from '../support/crc64nvme.ts';
import { migrateLocalToS3, type MigrationDeps } from '../../src/files/migrateLocalToS3.ts';
import { enqueueCopy } from '../../src/files/outbox.ts';
import { createS3Client } from '../../src/storage/s3Client.ts';
import { captureLogs } from '../support/captureLogs.ts';
import { createBucket, s3SettingsFor } from '../support/s3Server.ts';
import { listObjects } from '../support/storedState.ts';

const server = inject('s3');
const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const hex32 = () => randomBytes(16).toString('hex');
const LAST_YEAR = new Date(Date.now() - 365 * 24 * 3_600_000);

describe('storage:migrate', () => {
  let db: AppDatabase;
  let bucket: string;
  let localDir: string;
  let s3: StorageAdapter;
  let local: StorageAdapter;
  let deps: MigrationDeps;

  beforeAll(async () => {
    db = await openDatabase({ databaseUrl: undefined, dataDir: undefined });
  });
  afterAll(async () => {
    await db.destroy();
  });

  // A clean world per test (no rows, an empty bucket, an empty disk), so each can assert exact contents.
  beforeEach(async () => {
    await db.deleteFrom('pending_copies').execute();
    await db.deleteFrom('stored_files').execute();
    bucket = `migrate-${randomBytes(4).toString('hex')}`;
    await createBucket(server, bucket);
    const settings = s3SettingsFor(server, bucket);
    s3 = createS3Adapter({ client: createS3Client(settings), bucket, publicBaseUrl: publicBaseUrlFor(settings) });
    localDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-migrate-'));
    local = createLocalAdapter({ rootDir: localDir, publicPath: '/static' });
    deps = { db, s3, local, logger: captureLogs().logger };
  });
  afterEach(async () => {
    await fs.rm(localDir, { recursive: true, force: true });
  });

  /** An image that fell back to local disk: every variant on disk, a row saying so, and its outbox entry. */
  async function localImage(
    sizes: number[],
    key = `avatars/u1-${hex32()}.webp`,
  ): Promise<{ id: number; keys: string[] }> {
    const variants: StoredVariant[] = [];
    for (const [index, size] of sizes.entries()) {
      const bytes = randomBytes(size);
      const variantKey = index === 0 ? key : key.replace('.webp', `-${size}.webp`);
      await local.put(variantKey, bytes, { contentType: 'image/webp', cacheControl: 'no-store' });
      variants.push({ key: variantKey, width: size, height: size, bytes: size, sha256: sha256Of(bytes) });
    }
    const largest = variants[0]!;
    const row = await db
      .insertInto('stored_files')
      .values({
        owner_id: 1,
        folder: 'avatars',
        key,
        location: 'local',
        content_type: 'image/webp',
        bytes: largest.bytes,
        sha256: largest.sha256,
        variants: JSON.stringify(variants),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await enqueueCopy(db, row.id, 'primary');
    return { id: row.id, keys: variants.map((variant) => variant.key) };
  }

  /** An uploaded video that fell back to local disk: one object, no variants. */
  async function localVideo(size: number): Promise<{ id: number; keys: string[] }> {
    const bytes = randomBytes(size);
    const key = `uploads/u1-${hex32()}.mp4`;
    await local.put(key, bytes, { contentType: 'video/mp4', cacheControl: 'no-store' });
    const row = await db
      .insertInto('stored_files')
      .values({
        owner_id: 1,
        folder: 'uploads',
        key,
        location: 'local',
        content_type: 'video/mp4',
        bytes: size,
        sha256: sha256Of(bytes),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: row.id, keys: [key] };
  }

  /** A file written straight into the storage folder, as the app did long ago before it recorded files. */
  async function legacyFile(key: string, bytes: Buffer, modified = LAST_YEAR): Promise<void> {
    const file = path.join(localDir, key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, bytes);
    await fs.utimes(file, modified, modified);
  }

  const rows = () => db.selectFrom('stored_files').selectAll().orderBy('id').execute();
  const localFiles = async () => {
    const entries = await fs.readdir(localDir, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(localDir, path.join(entry.parentPath, entry.name)))
      .sort();
  };

  it('moves every variant of each local file, flips the rows, clears the outbox and the disk; a second run moves nothing', async () => {
    const image = await localImage([3000, 1500, 700]);
    const video = await localVideo(5000);
    const lost = await localImage([800]);
    await db.updateTable('stored_files').set({ lost_at: new Date() }).where('id', '=', lost.id).execute();
    await fs.rm(path.join(localDir, lost.keys[0]!));

    const progress: Array<[number, number]> = [];
    const first = await migrateLocalToS3(deps, { onProgress: ({ files, bytes }) => progress.push([files, bytes]) });
    expect(first).toMatchObject({
      moved: 2,
      movedBytes: 10_200,
      failed: [],
      skipped: [],
      planned: { files: 2, bytes: 10_200 },
    });
    expect(progress).toEqual([
      [1, 5200],
      [2, 10_200],
    ]);

    expect(await listObjects(server, bucket)).toEqual([...image.keys, ...video.keys].sort());
    // What S3 computed on receipt, recorded in the rows (not metadata the copier set).
    const recorded = await db.selectFrom('stored_files').select(['key', 'checksum', 'variants']).execute();
    for (const key of [...image.keys, ...video.keys]) {
      const reported = (await s3.head(key))?.checksum;
      expect(reported).toMatch(/^[A-Za-z0-9+/]{11}=$/);
      const row = recorded.find((candidate) => candidate.key === key || candidate.variants?.some((v) => v.key === key));
      expect(row?.variants?.find((variant) => variant.key === key)?.checksum ?? row?.checksum).toBe(reported);
    }
    expect((await rows()).map((row) => row.location)).toEqual(['s3', 's3', 'local']);
    expect(await db.selectFrom('pending_copies').selectAll().where('file_id', '=', image.id).execute()).toEqual([]);
    expect(await localFiles()).toEqual([]);

    const second = await migrateLocalToS3(deps);
    expect(second).toMatchObject({ moved: 0, planned: { files: 0, bytes: 0 }, failed: [], skipped: [] });
    expect(await listObjects(server, bucket)).toEqual([...image.keys, ...video.keys].sort());
  });

  it('resumes an interrupted run where it stopped', async () => {
    const images = [await localImage([1000, 500]), await localImage([1200]), await localImage([900])];

    const stopped = await migrateLocalToS3(deps, { limit: 1 });
    expect(stopped).toMatchObject({ moved: 1, planned: { files: 1 }, leftForLater: 2 });
    expect((await rows()).map((row) => row.location)).toEqual(['s3', 'local', 'local']);
    expect(await listObjects(server, bucket)).toEqual([...images[0]!.keys].sort());

    const resumed = await migrateLocalToS3(deps);
    expect(resumed).toMatchObject({ moved: 2, planned: { files: 2 }, leftForLater: 0, failed: [] });
    expect((await rows()).map((row) => row.location)).toEqual(['s3', 's3', 's3']);
    expect(await listObjects(server, bucket)).toEqual(images.flatMap((image) => image.keys).sort());
    expect(await localFiles()).toEqual([]);
  });

  it('changes nothing on a dry run, but says what would move', async () => {
    const image = await localImage([2000, 1000]);
    await legacyFile('uploads/old-clip.mp4', randomBytes(4000));
    const before = {
      rows: await rows(),
      files: await localFiles(),
      outbox: await db.selectFrom('pending_copies').selectAll().execute(),
    };

    const summary = await migrateLocalToS3(deps, { dryRun: true });
    expect(summary).toMatchObject({ dryRun: true, moved: 0, planned: { files: 2, bytes: 7000 } });
    expect(summary.planned.items).toEqual([
      { kind: 'row', fileId: image.id, key: image.keys[0], folder: 'avatars', objectKeys: image.keys, bytes: 3000 },
      {
        kind: 'legacy',
        fileId: undefined,
        key: 'uploads/old-clip.mp4',
        folder: 'uploads',
        objectKeys: ['uploads/old-clip.mp4'],
        bytes: 4000,
      },
    ]);
    expect(await rows()).toEqual(before.rows);
    expect(await localFiles()).toEqual(before.files);
    expect(await db.selectFrom('pending_copies').selectAll().execute()).toEqual(before.outbox);
    expect(await listObjects(server, bucket)).toEqual([]);
  });

  it('uploads, records and removes old files no row knows; reports names the app could not have made and leaves fresh ones', async () => {
    const clip = randomBytes(6000);
    const avatar = randomBytes(700);
    await legacyFile('uploads/old-clip.mp4', clip);
    await legacyFile('avatars/2019/alice.png', avatar);
    await legacyFile('avatars/Holiday Photo.JPG', randomBytes(10));
    await legacyFile('css/site.css', Buffer.from('body {}'));
    // Unrecorded but just written: maybe an upload whose row is a moment away.
    await legacyFile('uploads/u2-fresh.mp4', randomBytes(20), new Date());
    // Known to a row already (its S3 copy is recorded): a resync leftover for storage:gc, not a legacy file.
    const known = `thumbnails/v1-${hex32()}.webp`;
    await legacyFile(known, randomBytes(50));
    await db
      .insertInto('stored_files')
      .values({
        owner_id: 1,
        folder: 'thumbnails',
        key: known,
        location: 's3',
        content_type: 'image/webp',
        bytes: 50,
        sha256: 'a'.repeat(64),
      })
      .execute();

    const summary = await migrateLocalToS3(deps);
    expect(summary).toMatchObject({ moved: 2, failed: [], movedBytes: 6700 });
    expect(summary.skipped).toEqual([
      { key: 'avatars/Holiday Photo.JPG', reason: expect.stringContaining('rename or move it by hand') },
      { key: 'uploads/u2-fresh.mp4', reason: expect.stringContaining('written less than an hour ago') },
    ]);

    const recorded = (await rows()).filter((row) => row.key !== known);
    expect(recorded).toEqual([
      expect.objectContaining({
        owner_id: null,
        folder: 'avatars',
        key: 'avatars/2019/alice.png',
        location: 's3',
        content_type: 'image/png',
        bytes: 700,
        sha256: sha256Of(avatar),
        variants: null,
      }),
      expect.objectContaining({
        owner_id: null,
        folder: 'uploads',
        key: 'uploads/old-clip.mp4',
        location: 's3',
        content_type: 'video/mp4',
        bytes: 6000,
        sha256: sha256Of(clip),
        variants: null,
      }),
    ]);
    expect(await listObjects(server, bucket)).toEqual(['avatars/2019/alice.png', 'uploads/old-clip.mp4']);
    expect(await s3.head('uploads/old-clip.mp4')).toMatchObject({
      size: 6000,
      contentType: 'video/mp4',
      ...(server.kind === 'minio' && { checksum: crc64nvmeBase64(clip) }),
    });
    expect(await localFiles()).toEqual(
      ['avatars/Holiday Photo.JPG', 'css/site.css', known, 'uploads/u2-fresh.mp4'].sort(),
    );

    expect(await migrateLocalToS3(deps)).toMatchObject({ moved: 0, planned: { files: 0 }, failed: [] });
    const anHourLater = () => new Date(Date.now() + 2 * 3_600_000);
    expect(await migrateLocalToS3({ ...deps, now: anHourLater })).toMatchObject({
      moved: 1,
      planned: { items: [{ key: 'uploads/u2-fresh.mp4' }] },
    });
  });

  it('takes young unrecorded files with a smaller minimum age (--min-age), e.g. after a cp restore', async () => {
    await legacyFile('uploads/u5-restored.mp4', randomBytes(30), new Date(Date.now() - 20 * 60_000));
    await legacyFile('uploads/u5-justnow.mp4', randomBytes(40), new Date());
    const tenMinutes = await migrateLocalToS3(deps, { minAgeMs: 10 * 60_000 });
    expect(tenMinutes).toMatchObject({ moved: 1, failed: [] });
    expect(tenMinutes.skipped).toEqual([
      { key: 'uploads/u5-justnow.mp4', reason: expect.stringContaining('written less than 10 min ago') },
    ]);
    expect(await migrateLocalToS3(deps, { minAgeMs: 0 })).toMatchObject({ moved: 1, skipped: [], failed: [] });
    expect(await listObjects(server, bucket)).toEqual(['uploads/u5-justnow.mp4', 'uploads/u5-restored.mp4']);
  });

  it('keeps a local file while another local row still uses its key, and skips uploads S3 already holds', async () => {
    const shared = await localImage([1000]);
    const twin = await db.selectFrom('stored_files').selectAll().where('id', '=', shared.id).executeTakeFirstOrThrow();
    const { id: _id, created_at: _created, ...copy } = twin;
    await db
      .insertInto('stored_files')
      .values({ ...copy, variants: JSON.stringify(copy.variants) })
      .execute();
    const puts: string[] = [];
    const countingS3: StorageAdapter = {
      ...s3,
      put: (key, body, options) => {
        puts.push(key);
        return s3.put(key, body, options);
      },
    };

    expect(await migrateLocalToS3({ ...deps, s3: countingS3 }, { limit: 1 })).toMatchObject({ moved: 1 });
    expect(await localFiles()).toEqual([shared.keys[0]]);

    expect(await migrateLocalToS3({ ...deps, s3: countingS3 })).toMatchObject({ moved: 1, failed: [] });
    expect(puts).toEqual([shared.keys[0]]);
    expect(await localFiles()).toEqual([]);
    expect((await rows()).map((row) => row.location)).toEqual(['s3', 's3']);
  });

  it('reports a local file whose bytes are gone as failed and leaves its row alone, still moving the rest', async () => {
    const gone = await localImage([600]);
    const fine = await localImage([700]);
    await fs.rm(path.join(localDir, gone.keys[0]!));

    const summary = await migrateLocalToS3(deps);
    expect(summary).toMatchObject({ moved: 1 });
    expect(summary.failed).toEqual([
      { key: gone.keys[0], fileId: gone.id, reason: expect.stringContaining('missing from local disk') },
    ]);
    expect(await rows()).toEqual([
      expect.objectContaining({ id: gone.id, location: 'local', lost_at: null }),
      expect.objectContaining({ id: fine.id, location: 's3' }),
    ]);
    expect(await listObjects(server, bucket)).toEqual(fine.keys);
  });
});
