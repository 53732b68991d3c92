/**
 * imageStorage against a real S3 server and a real database: S3 first, local fallback,
 * nothing half-done on failure, and URLs from the recorded location alone.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createImageJobQueue } from '../../src/images/imageJobQueue.ts';
import { createImageStorage, type ImageStorage } from '../../src/files/imageStorage.ts';
import { createLocalAdapter } from '../../src/storage/adapters/local.ts';
import { createS3Adapter } from '../../src/storage/adapters/s3.ts';
import { publicBaseUrlFor } from '../../src/storage/publicBaseUrl.ts';
import { createS3Client } from '../../src/storage/s3Client.ts';
import { openDatabase, type AppDatabase } from '../../src/db/database.ts';
import type { StorageAdapter } from '../../src/storage/contract.ts';
import { createBucket, s3SettingsFor } from '../support/s3Server.ts';
import { closedPortEndpoint } from '../support/network.ts';
import { makeImage, NOT_AN_IMAGE } from '../support/imageFixtures.ts';
import { captureLogs } from '../support/captureLogs.ts';

const server = inject('s3');

function s3AdapterFor(bucket: string, endpoint: string): StorageAdapter {
  const settings = s3SettingsFor(server, bucket, endpoint);
  const client = createS3Client(settings, { connectionTimeoutMs: 500, requestTimeoutMs: 2000, maxAttempts: 2 });
  return createS3Adapter({ client, bucket, publicBaseUrl: publicBaseUrlFor(settings) });
}

describe('imageStorage', () => {
  let db: AppDatabase;
  let localDir: string;
  let s3: StorageAdapter;
  let local: StorageAdapter;
  let bucket: string;
  const logs = captureLogs();
  const placeholderUrl = (folder: string) => `/static/img/${folder}-placeholder.svg`;
  const build = (primary: StorageAdapter | undefined): ImageStorage =>
    createImageStorage({
      db,
      s3: primary,
      local,
      logger: logs.logger,
      placeholderUrl,
      imageJobs: createImageJobQueue(2),
      maxImagePixels: 40_000_000,
    });

  beforeAll(async () => {
    db = await openDatabase({ databaseUrl: undefined, dataDir: undefined });
    localDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-images-'));
    bucket = `images-${randomBytes(4).toString('hex')}`;
    await createBucket(server, bucket);
    s3 = s3AdapterFor(bucket, server.endpoint);
    local = createLocalAdapter({ rootDir: localDir, publicPath: '/static' });
  });
  afterAll(async () => {
    await db.destroy();
    await fs.rm(localDir, { recursive: true, force: true });
  });

  const countRows = async () =>
    Number((await db.selectFrom('stored_files').select(db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('stores every variant in S3 under content-hash keys and records them with the location', async () => {
    const result = await build(s3).uploadImage({ buffer: await makeImage('png', 600, 600) }, 'avatars', 'u7', null);
    expect(result.location).toBe('s3');
    const variants = result.file.variants ?? [];
    expect(variants.map((variant) => variant.width)).toEqual([512, 256, 128, 64]);
    for (const variant of variants) {
      expect(variant.key).toBe(`avatars/u7-${variant.sha256.slice(0, 32)}.webp`);
      expect(await s3.head(variant.key)).toEqual({
        size: variant.bytes,
        contentType: 'image/webp',
        checksum: variant.checksum,
      });
      expect(await local.head(variant.key)).toBeUndefined();
    }
    expect(result.file).toMatchObject({
      key: variants[0]!.key,
      width: 512,
      height: 512,
      spec_version: 1,
      content_type: 'image/webp',
    });
    expect(result.file.placeholder).toMatch(/^data:image\/webp;base64,/);
    expect(result.url).toBe(`${server.endpoint}/${bucket}/${result.file.key}`);
  });

  it('gives the same picture the same keys, and deletes a shared object only with its last row', async () => {
    const bytes = await makeImage('jpeg', 300, 300, '#123456');
    const first = await build(s3).uploadImage({ buffer: bytes }, 'avatars', 'u12', null);
    const second = await build(s3).uploadImage({ buffer: bytes }, 'avatars', 'u12', null);
    expect(second.file.key).toBe(first.file.key);
    await build(s3).deleteFile(first.file.id);
    expect(await s3.head(second.file.key)).toBeDefined();
    await build(s3).deleteFile(second.file.id);
    expect(await s3.head(second.file.key)).toBeUndefined();
  });

  it('falls back to local disk when S3 refuses connections, and logs the S3 error code', async () => {
    const down = s3AdapterFor('gone', await closedPortEndpoint());
    const result = await build(down).uploadImage({ buffer: await makeImage('jpeg') }, 'avatars', 'u8', null);
    expect(result.location).toBe('local');
    expect(result.url).toBe(`/static/${result.file.key}`);
    expect(await local.head(result.file.key)).toMatchObject({ contentType: 'image/webp' });
    expect(logs.lines().some((line) => line.level === 40 && line.s3ErrorCode === 'Unreachable')).toBe(true);
  });

  it('refuses bytes that are not an accepted image and stores nothing', async () => {
    const rowsBefore = await countRows();
    for (const bytes of Object.values(NOT_AN_IMAGE)) {
      const refusal = build(s3).uploadImage({ buffer: bytes }, 'avatars', 'u9', null);
      await expect(refusal).rejects.toMatchObject({ status: 415 });
      await expect(refusal).rejects.toThrow(/JPEG, PNG, WebP, GIF or AVIF/);
    }
    expect(await countRows()).toBe(rowsBefore);
  });

  it('removes the stored bytes again when recording the image fails', async () => {
    const rowsBefore = await countRows();
    let storedKey = '';
    const result = build(s3).uploadImage({ buffer: await makeImage('png') }, 'avatars', 'u10', null, {
      attach: async (_trx, image) => {
        storedKey = image.key;
        throw new Error('simulated failure after the insert');
      },
    });
    await expect(result).rejects.toMatchObject({ status: 500 });
    expect(storedKey).not.toBe('');
    expect(await s3.head(storedKey)).toBeUndefined();
    expect(await countRows()).toBe(rowsBefore);
  });

  it('deletes the row and the object from wherever the image lives', async () => {
    const inS3 = await build(s3).uploadImage({ buffer: await makeImage('png') }, 'avatars', 'u11', null);
    const down = s3AdapterFor('gone', await closedPortEndpoint());
    const onDisk = await build(down).uploadImage({ buffer: await makeImage('png') }, 'avatars', 'u11', null);
    const storage = build(s3);
    await storage.deleteFile(inS3.file.id);
    await storage.deleteFile(onDisk.file.id);
    expect(await s3.head(inS3.file.key)).toBeUndefined();
    expect(await local.head(onDisk.file.key)).toBeUndefined();
    expect(await db.selectFrom('stored_files').where('id', 'in', [inS3.file.id, onDisk.file.id]).execute()).toEqual([]);
  });

  it('builds URLs from the recorded location whatever the current mode', () => {
    const s3Mode = build(s3);
    const localMode = build(undefined);
    const key = 'avatars/u1-abc.png';
    expect(s3Mode.getImageUrl({ key, location: 'local' }, 'avatars')).toBe('/static/avatars/u1-abc.png');
    expect(s3Mode.getImageUrl({ key, location: 's3' }, 'avatars')).toBe(s3.urlFor(key));
    expect(localMode.getImageUrl({ key, location: 'local' }, 'avatars')).toBe('/static/avatars/u1-abc.png');
    expect(s3Mode.getImageUrl(null, 'avatars')).toBe('/static/img/avatars-placeholder.svg');
    expect(s3Mode.getImageUrl('', 'thumbnails')).toBe('/static/img/thumbnails-placeholder.svg');
    expect(localMode.getImageUrl('u1-abc.png', 'avatars')).toBe('/static/avatars/u1-abc.png');
  });
});
