/**
 * The outage store in the database: bytes in and out exactly (whole, ranges across chunk
 * boundaries), head/list/delete, both bounds with the counter given back after a refused put
 * and after a delete, abandoned half-writes, and (PostgreSQL) a 200 MB streamed round trip
 * that keeps the app's memory bounded.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { sql } from 'kysely';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AppDatabase } from '../../src/db/database.ts';
import { createDatabaseBlobAdapter, FALLBACK_CHUNK_BYTES } from '../../src/files/fallbackBlobs.ts';
import { StorageError } from '../../src/storage/contract.ts';
import { useFreshDatabase } from '../support/freshDatabase.ts';
import { availableDatabases } from '../support/testApp.ts';

const MB = 1024 * 1024;
const put = { contentType: 'image/jpeg', cacheControl: 'public' };

describe.each(availableDatabases(Boolean(process.env.TEST_DATABASE_URL)))('outage store on %s', (kind) => {
  let db: AppDatabase;
  useFreshDatabase(kind, (opened) => (db = opened));
  beforeEach(async () => {
    await sql`delete from fallback_blobs`.execute(db);
    await sql`update fallback_usage set bytes = 0`.execute(db);
  });
  const rowCount = async () =>
    (await sql<{ n: number }>`select count(*)::int as n from fallback_chunks`.execute(db)).rows[0]?.n;

  it('two puts of one key at once both succeed, one of them wins whole, and the counter holds only it', async () => {
    const store = createDatabaseBlobAdapter({ db, maxFileBytes: 10 * MB, maxTotalBytes: 20 * MB });
    const [first, second] = [randomBytes(Math.round(1.5 * MB)), randomBytes(Math.round(1.2 * MB))];
    // The same photo sent twice in a moment (a double click while S3 is down) lands on one key.
    await Promise.all([
      store.put('avatars/u2-same.jpg', Readable.from([first.subarray(0, MB), first.subarray(MB)]), put),
      store.put('avatars/u2-same.jpg', Readable.from([second.subarray(0, MB), second.subarray(MB)]), put),
    ]);
    const kept = await buffer(await store.get('avatars/u2-same.jpg'));
    expect([first, second].some((bytes) => bytes.equals(kept))).toBe(true);
    expect(await store.usage()).toMatchObject({ files: 1, bytes: kept.length });
    const { rows } = await sql<{ key: string }>`select key from fallback_blobs`.execute(db);
    expect(rows.map((row) => row.key)).toEqual(['avatars/u2-same.jpg']);
    expect(await rowCount()).toBe(2);
  });

  it('keeps bytes exactly, in 1 MiB chunks, and serves ranges across chunk boundaries', async () => {
    const store = createDatabaseBlobAdapter({ db, maxFileBytes: 10 * MB, maxTotalBytes: 20 * MB });
    const bytes = randomBytes(Math.round(2.5 * MB));
    // A stream of odd-sized pieces, as an upload arrives.
    const pieces = [bytes.subarray(0, 1000), bytes.subarray(1000, 1_500_000), bytes.subarray(1_500_000)];
    await store.put('avatars/u1-a.jpg', Readable.from(pieces), put);
    expect(await rowCount()).toBe(3);
    expect(await buffer(await store.get('avatars/u1-a.jpg'))).toEqual(bytes);
    for (const [start, end] of [
      [0, 0],
      [FALLBACK_CHUNK_BYTES - 2, FALLBACK_CHUNK_BYTES + 1],
      [10, 2 * FALLBACK_CHUNK_BYTES + 5],
      [bytes.length - 3, bytes.length + 100],
    ] as const)
      expect(await buffer(await store.get('avatars/u1-a.jpg', { start, end }))).toEqual(
        bytes.subarray(start, Math.min(end, bytes.length - 1) + 1),
      );
    expect(await store.head('avatars/u1-a.jpg')).toEqual({ size: bytes.length, contentType: 'image/jpeg' });
    const { rows } = await sql<{
      sha256: string;
    }>`select sha256 from fallback_blobs where key = 'avatars/u1-a.jpg'`.execute(db);
    expect(rows[0]?.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const listed = [];
    for await (const object of store.list('avatars/')) listed.push(object.key);
    expect(listed).toEqual(['avatars/u1-a.jpg']);
    expect(store.urlFor('avatars/u1-a.jpg')).toBe('/media/avatars/u1-a.jpg');
    expect(await store.usage()).toMatchObject({ files: 1, bytes: bytes.length, limitBytes: 20 * MB });
    await store.delete('avatars/u1-a.jpg');
    expect(await store.head('avatars/u1-a.jpg')).toBeUndefined();
    await expect(store.get('avatars/u1-a.jpg')).rejects.toMatchObject({ code: 'NotFound' });
    expect(await rowCount()).toBe(0);
    expect(await store.usage()).toMatchObject({ files: 0, bytes: 0 });
  });

  it('refuses a file over the per-file bound and leaves nothing, not even counted bytes', async () => {
    const store = createDatabaseBlobAdapter({ db, maxFileBytes: 2 * MB, maxTotalBytes: 20 * MB });
    const error = await store.put('uploads/u1-v.mp4', randomBytes(3 * MB), put).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe('FallbackFileTooLarge');
    expect(await rowCount()).toBe(0);
    expect(await store.usage()).toMatchObject({ files: 0, bytes: 0 });
  });

  it('refuses once the total bound is reached, across stores on one database, and frees after a delete', async () => {
    const a = createDatabaseBlobAdapter({ db, maxFileBytes: 2 * MB, maxTotalBytes: 3 * MB });
    const b = createDatabaseBlobAdapter({ db, maxFileBytes: 2 * MB, maxTotalBytes: 3 * MB });
    await a.put('avatars/u1-a.jpg', randomBytes(2 * MB), put);
    const full = await b.put('avatars/u2-b.jpg', randomBytes(1.5 * MB), put).catch((e: unknown) => e);
    expect((full as StorageError).code).toBe('FallbackFull');
    expect(await b.head('avatars/u2-b.jpg')).toBeUndefined();
    expect(await a.usage()).toMatchObject({ files: 1, bytes: 2 * MB });
    await a.delete('avatars/u1-a.jpg');
    await b.put('avatars/u2-b.jpg', randomBytes(1.5 * MB), put);
    expect(await b.usage()).toMatchObject({ files: 1, bytes: 1.5 * MB });
  });

  it('hides a half-written blob from readers, and deleteAbandoned removes it with its bytes', async () => {
    const store = createDatabaseBlobAdapter({ db, maxFileBytes: 10 * MB, maxTotalBytes: 20 * MB });
    // What an instance killed mid-put leaves: a blob row, one chunk, its bytes counted.
    await sql`insert into fallback_blobs (key, content_type, bytes, created_at) values ('avatars/u9-x.jpg', 'image/jpeg', 5, now() - interval '2 hours')`.execute(
      db,
    );
    await sql`insert into fallback_chunks (key, n, data) values ('avatars/u9-x.jpg', 0, ${Buffer.from('hello')})`.execute(
      db,
    );
    await sql`update fallback_usage set bytes = 5`.execute(db);
    expect(await store.head('avatars/u9-x.jpg')).toBeUndefined();
    expect(await store.deleteAbandoned(3600)).toBe(1);
    expect(await rowCount()).toBe(0);
    expect(await store.usage()).toMatchObject({ bytes: 0 });
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('outage store memory (needs PostgreSQL: TEST_DATABASE_URL)', () => {
  let db: AppDatabase;
  useFreshDatabase('postgresql', (opened) => (db = opened));

  it('a 200 MB streamed put and get keep the app within 128 MB of where it started', { timeout: 90_000 }, async () => {
    const store = createDatabaseBlobAdapter({ db, maxFileBytes: 256 * MB, maxTotalBytes: 512 * MB });
    const piece = randomBytes(256 * 1024);
    const pieces = 800; // 200 MB
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sample = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const expected = createHash('sha256');
    async function* body() {
      for (let i = 0; i < pieces; i++) {
        expected.update(piece);
        yield piece;
      }
    }
    await store.put('uploads/u1-big.mp4', Readable.from(body()), { contentType: 'video/mp4', cacheControl: 'x' });
    const read = createHash('sha256');
    let size = 0;
    for await (const chunk of await store.get('uploads/u1-big.mp4')) {
      read.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    clearInterval(sample);
    expect(size).toBe(pieces * piece.length);
    expect(read.digest('hex')).toBe(expected.digest('hex'));
    expect((peak - before) / MB).toBeLessThan(128);
    await store.delete('uploads/u1-big.mp4');
  });
});
