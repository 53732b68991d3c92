/**
 * storage:gc against a real S3 server: only objects no row references in their location and
 * older than the grace period are garbage; they are listed, and deleted only when asked.
 * S3 cannot backdate LastModified, so the S3 cases move the injected clock forward instead;
 * local files are backdated with utimes.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, type AppDatabase } from '../../src/db/database.ts';
import type { StoredVariant } from '../../src/db/schema.ts';
import { createLocalAdapter } from '../../src/storage/adapters/local.ts';
import { createS3Adapter } from '../../src/storage/adapters/s3.ts';
import { publicBaseUrlFor } from '../../src/storage/publicBaseUrl.ts';
import { collectGarbage, type GarbageDeps } from '../../src/files/collectGarbage.ts';
import type { StorageAdapter, StorageLocation } from '../../src/storage/contract.ts';
import { createMultipartStore } from '../../src/storage/multipartUploads.ts';
import { createS3Client } from '../../src/storage/s3Client.ts';
import { captureLogs } from '../support/captureLogs.ts';
import { createBucket, makeS3Client, s3SettingsFor } from '../support/s3Server.ts';
import { listObjects } from '../support/storedState.ts';

const server = inject('s3');
const HOUR_MS = 3_600_000;
const DAY_AGO = new Date(Date.now() - 25 * HOUR_MS);
const keyIn = (folder: string) => `${folder}/u1-${randomBytes(16).toString('hex')}.webp`;

describe('storage:gc', () => {
  let db: AppDatabase;
  let bucket: string;
  let localDir: string;
  let s3: StorageAdapter;
  let local: StorageAdapter;
  const logger = captureLogs().logger;

  beforeAll(async () => {
    db = await openDatabase({ databaseUrl: undefined, dataDir: undefined });
    bucket = `gc-${randomBytes(4).toString('hex')}`;
    await createBucket(server, bucket);
    const settings = s3SettingsFor(server, bucket);
    s3 = createS3Adapter({ client: createS3Client(settings), bucket, publicBaseUrl: publicBaseUrlFor(settings) });
    localDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-gc-'));
    local = createLocalAdapter({ rootDir: localDir, publicPath: '/static' });
  });
  afterAll(async () => {
    await db.destroy();
    await fs.rm(localDir, { recursive: true, force: true });
  });

  async function store(adapter: StorageAdapter, key: string, modified?: Date): Promise<void> {
    await adapter.put(key, randomBytes(100), { contentType: 'image/webp', cacheControl: 'no-store' });
    if (modified) await fs.utimes(path.join(localDir, key), modified, modified);
  }

  async function record(location: StorageLocation, key: string, variantKeys: string[] = []): Promise<void> {
    const variants: StoredVariant[] = [key, ...variantKeys].map((variantKey) => ({
      key: variantKey,
      width: 10,
      height: 10,
      bytes: 100,
      sha256: 'b'.repeat(64),
    }));
    await db
      .insertInto('stored_files')
      .values({
        owner_id: 1,
        folder: key.split('/')[0]!,
        key,
        location,
        content_type: 'image/webp',
        bytes: 100,
        sha256: 'b'.repeat(64),
        variants: JSON.stringify(variants),
      })
      .execute();
  }

  const localFiles = async () => {
    const entries = await fs.readdir(localDir, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(localDir, path.join(entry.parentPath, entry.name)))
      .sort();
  };

  it('lists old orphans in S3 and deletes them only with delete; referenced, variant and young objects stay', async () => {
    const referenced = keyIn('avatars');
    const variant = keyIn('avatars');
    // The last one is a direct upload that was signed but never finalized.
    const orphans = [
      keyIn('avatars'),
      keyIn('thumbnails'),
      `uploads/u1-${randomBytes(16).toString('hex')}.mp4`,
      `incoming/u1/${randomBytes(16).toString('hex')}`,
    ];
    // Recorded, but on local disk: the S3 object with that key is not what the row points at.
    const localOnly = keyIn('thumbnails');
    for (const key of [referenced, variant, ...orphans, localOnly]) await store(s3, key);
    await s3.put('elsewhere/not-an-image.txt', Buffer.from('x'), {
      contentType: 'text/plain',
      cacheControl: 'no-store',
    });
    await record('s3', referenced, [variant]);
    await record('local', localOnly);
    const deps: GarbageDeps = { db, adapters: [s3], logger };
    const tomorrow = () => new Date(Date.now() + 25 * HOUR_MS);

    const young = await collectGarbage(deps, { olderThanMs: 24 * HOUR_MS, delete: true });
    expect(young.objects).toEqual([]);
    expect(young.byLocation.s3).toMatchObject({ scanned: 7, referenced: 2, young: 5, garbage: 0, deleted: 0 });

    const found: string[] = [];
    const listed = await collectGarbage(
      { ...deps, now: tomorrow },
      { olderThanMs: 24 * HOUR_MS, delete: false, onFound: (object) => found.push(object.key) },
    );
    const expectedGarbage = [...orphans, localOnly].sort();
    expect([...found].sort()).toEqual(expectedGarbage);
    expect(
      listed.objects.every(
        (object) => object.location === 's3' && object.size === 100 && !object.deleted && object.ageMs >= 24 * HOUR_MS,
      ),
    ).toBe(true);
    expect(listed.byLocation.s3).toMatchObject({ garbage: 5, garbageBytes: 500, deleted: 0 });
    expect(await listObjects(server, bucket)).toHaveLength(8);

    const deleted = await collectGarbage({ ...deps, now: tomorrow }, { olderThanMs: 24 * HOUR_MS, delete: true });
    expect(deleted.failures).toEqual([]);
    expect(deleted.byLocation.s3).toMatchObject({ garbage: 5, deleted: 5, deletedBytes: 500 });
    expect(await listObjects(server, bucket)).toEqual(['elsewhere/not-an-image.txt', referenced, variant].sort());
  });

  it('deletes old unreferenced local files by their age on disk, never young, referenced or hand-named ones, nor files outside the image folders', async () => {
    const oldOrphan = keyIn('uploads');
    const youngOrphan = keyIn('avatars');
    const referencedOld = keyIn('avatars');
    // A resync leftover: the row moved to S3, so the local copy is no longer referenced.
    const movedToS3 = keyIn('thumbnails');
    await store(local, oldOrphan, DAY_AGO);
    await store(local, youngOrphan);
    await store(local, referencedOld, DAY_AGO);
    await store(local, movedToS3, DAY_AGO);
    await fs.mkdir(path.join(localDir, 'css'), { recursive: true });
    await fs.writeFile(path.join(localDir, 'css', 'site.css'), 'body {}');
    await fs.utimes(path.join(localDir, 'css', 'site.css'), DAY_AGO, DAY_AGO);
    await record('local', referencedOld);
    await record('s3', movedToS3);
    const handMade = 'avatars/Holiday Photo.JPG';
    await fs.writeFile(path.join(localDir, handMade), 'x');
    await fs.utimes(path.join(localDir, handMade), DAY_AGO, DAY_AGO);

    const summary = await collectGarbage(
      { db, adapters: [local], logger },
      { olderThanMs: 24 * HOUR_MS, delete: true },
    );
    expect(summary.objects.map((object) => object.key).sort()).toEqual([handMade, oldOrphan, movedToS3].sort());
    expect(summary.byLocation).toEqual({
      local: { scanned: 5, referenced: 1, young: 1, garbage: 3, garbageBytes: 201, deleted: 2, deletedBytes: 200 },
    });
    // A name the app could not have made is listed for a person to judge, not deleted and not a failure.
    expect(summary.failures).toEqual([]);
    expect(summary.objects.find((object) => object.key === handMade)).toMatchObject({
      deleted: false,
      keptBecause: expect.stringContaining('by hand'),
    });
    expect(await localFiles()).toEqual(['css/site.css', handMade, youngOrphan, referencedOld].sort());
  });

  it.skipIf(server.kind !== 'minio')(
    'aborts incomplete direct uploads under incoming/ older than the grace period, only with delete (MinIO only: s3rver lacks ListMultipartUploads)',
    async () => {
      const multipart = createMultipartStore({ client: createS3Client(s3SettingsFor(server, bucket)), bucket });
      const stale = `incoming/u1/${randomBytes(16).toString('hex')}`;
      const elsewhere = `uploads-in-progress/${randomBytes(8).toString('hex')}`;
      await multipart.create(stale, 'video/webm');
      await multipart.create(elsewhere, 'video/webm');
      const incomplete = async () => {
        const client = makeS3Client(server);
        const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
        client.destroy();
        return (listed.Uploads ?? []).map((upload) => upload.Key).sort();
      };
      const deps: GarbageDeps = { db, adapters: [], logger, multipart };
      const tomorrow = () => new Date(Date.now() + 25 * HOUR_MS);

      const young = await collectGarbage(deps, { olderThanMs: 24 * HOUR_MS, delete: true });
      expect(young.staleUploads).toEqual([]);
      const listed = await collectGarbage({ ...deps, now: tomorrow }, { olderThanMs: 24 * HOUR_MS, delete: false });
      expect(listed.staleUploads).toEqual([expect.objectContaining({ key: stale, aborted: false })]);
      expect(await incomplete()).toEqual([elsewhere, stale].sort());

      const aborted = await collectGarbage({ ...deps, now: tomorrow }, { olderThanMs: 24 * HOUR_MS, delete: true });
      expect(aborted.failures).toEqual([]);
      expect(aborted.staleUploads).toEqual([expect.objectContaining({ key: stale, aborted: true })]);
      // Only the app's own folder is touched.
      expect(await incomplete()).toEqual([elsewhere]);
    },
  );

  it.skipIf(server.kind !== 'minio')(
    'aborts incomplete uploads under every folder the app writes, not only incoming/ (MinIO only: s3rver lacks ListMultipartUploads)',
    async () => {
      const multipart = createMultipartStore({ client: createS3Client(s3SettingsFor(server, bucket)), bucket });
      // A form video streamed to S3 by a process that died mid-upload, and an image's, and someone else's.
      const formVideo = `uploads/u3-${randomBytes(16).toString('hex')}.mp4`;
      const avatar = `avatars/u3-${randomBytes(16).toString('hex')}.webp`;
      const elsewhere = `backups-of-someone/${randomBytes(8).toString('hex')}`;
      for (const key of [formVideo, avatar, elsewhere]) await multipart.create(key, 'video/mp4');
      const tomorrow = () => new Date(Date.now() + 25 * HOUR_MS);
      const deps: GarbageDeps = { db, adapters: [], logger, multipart, now: tomorrow };

      const aborted = await collectGarbage(deps, { olderThanMs: 24 * HOUR_MS, delete: true });
      expect(aborted.failures).toEqual([]);
      expect(aborted.staleUploads.map((upload) => [upload.key, upload.aborted]).sort()).toEqual(
        [
          [avatar, true],
          [formVideo, true],
        ].sort(),
      );
      const client = makeS3Client(server);
      const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      client.destroy();
      const left = (listed.Uploads ?? []).map((upload) => upload.Key);
      expect(left).toContain(elsewhere);
      expect(left).not.toContain(formVideo);
      expect(left).not.toContain(avatar);
    },
  );

  it('reports a backend it cannot list and still scans the others', async () => {
    const settings = s3SettingsFor(server, 'gc-no-such-bucket');
    const missingBucket = createS3Adapter({
      client: createS3Client(settings),
      bucket: 'gc-no-such-bucket',
      publicBaseUrl: publicBaseUrlFor(settings),
    });

    const summary = await collectGarbage(
      { db, adapters: [missingBucket, local], logger },
      { olderThanMs: 24 * HOUR_MS, delete: false },
    );
    // avatars/, thumbnails/, uploads/ and incoming/ (unfinalized direct uploads).
    expect(summary.failures).toHaveLength(4);
    expect(summary.failures[0]).toMatchObject({
      location: 's3',
      key: 'avatars/',
      reason: expect.stringContaining('could not list'),
    });
    expect(summary.byLocation.local?.scanned).toBeGreaterThan(0);
  });
  it('keeps an old temporary object whose direct upload still waits for its job, and collects it once settled', async () => {
    const member = await db
      .insertInto('users')
      .values({ username: `gc-${randomBytes(4).toString('hex')}`, password_hash: 'x' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const key = `incoming/u${member.id}/${randomBytes(16).toString('hex')}`;
    await store(s3, key);
    await db
      .insertInto('direct_uploads')
      .values({ key, user_id: member.id, purpose: 'avatar', video_id: null, max_bytes: 1000, state: 'processing' })
      .execute();
    const dayAfter = () => new Date(Date.now() + 25 * HOUR_MS);
    const found: string[] = [];
    const options = {
      olderThanMs: 24 * HOUR_MS,
      delete: false,
      onFound: (object: { key: string }) => found.push(object.key),
    };
    await collectGarbage({ db, adapters: [s3], logger, now: dayAfter }, options);
    expect(found).not.toContain(key);
    await db.updateTable('direct_uploads').set({ state: 'stored' }).where('key', '=', key).execute();
    await collectGarbage({ db, adapters: [s3], logger, now: dayAfter }, options);
    expect(found).toContain(key);
  });
});
