/**
 * The one contract every storage adapter is held to (src/storage/contract.ts states it).
 * Each backend's test file calls runStorageAdapterContract with a factory; a new adapter
 * is one new test file.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError, type StorageAdapter } from '../../src/storage/contract.ts';
import { IMMUTABLE_CACHE_CONTROL } from '../../src/storage/cachePolicy.ts';
import { crc64nvmeBase64 } from '../support/crc64nvme.ts';

export interface AdapterUnderTest {
  adapter: StorageAdapter;
  /** Lists every object/file the backend holds under a folder, temp files included. */
  listRaw(folder: string): Promise<string[]>;
  /** Fetches a URL the way a browser would (the local backend needs the app to serve it). */
  fetchPublic(url: string): Promise<Response>;
  /** The server computes and reports checksums (MinIO, AWS); s3rver and local disk do not. */
  computesChecksums?: boolean;
  cleanup(): Promise<void>;
}

const PUT = { contentType: 'image/png', cacheControl: IMMUTABLE_CACHE_CONTROL };
const newKey = (ext = 'png') => `avatars/contract-${randomBytes(8).toString('hex')}.${ext}`;

function failingStream(bytesBeforeFailure: number): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(Buffer.alloc(bytesBeforeFailure, 1));
      } else {
        this.destroy(new Error('client went away'));
      }
    },
  });
}

export function runStorageAdapterContract(name: string, setUp: () => Promise<AdapterUnderTest>): void {
  describe(`${name} adapter honours the storage contract`, () => {
    let subject: AdapterUnderTest;
    let adapter: StorageAdapter;

    beforeAll(async () => {
      subject = await setUp();
      adapter = subject.adapter;
    });
    afterAll(async () => subject?.cleanup());

    it('stores a buffer and reads the same bytes back', async () => {
      const key = newKey();
      const body = randomBytes(2048);
      await adapter.put(key, body, PUT);
      const chunks: Buffer[] = [];
      for await (const chunk of await adapter.get(key)) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).equals(body)).toBe(true);
    });

    it('stores a stream larger than one multipart part', async () => {
      const key = newKey();
      const body = randomBytes(6 * 1024 * 1024 + 17);
      await adapter.put(key, Readable.from([body.subarray(0, 1000), body.subarray(1000)]), PUT);
      expect(await adapter.head(key)).toMatchObject({ size: body.length });
    });

    it('reports size and content type, and undefined for a missing key', async () => {
      const key = newKey();
      await adapter.put(key, Buffer.from('png-bytes'), PUT);
      expect(await adapter.head(key)).toEqual({
        size: 9,
        contentType: 'image/png',
        checksum: subject.computesChecksums ? crc64nvmeBase64(Buffer.from('png-bytes')) : undefined,
      });
      expect(await adapter.head(newKey())).toBeUndefined();
    });

    it('lists the objects under a prefix with their sizes, and nothing else', async () => {
      const folder = `thumbnails`;
      const keys = [
        `${folder}/list-${randomBytes(6).toString('hex')}.png`,
        `${folder}/list-${randomBytes(6).toString('hex')}.png`,
      ];
      for (const key of keys) await adapter.put(key, Buffer.from(key), PUT);
      const listed: Array<{ key: string; size: number; lastModified: Date }> = [];
      for await (const object of adapter.list(`${folder}/`)) listed.push(object);
      for (const key of keys) expect(listed.find((object) => object.key === key)).toMatchObject({ size: key.length });
      expect(listed.every((object) => object.key.startsWith(`${folder}/`) && object.lastModified instanceof Date)).toBe(
        true,
      );
      const empty: unknown[] = [];
      for await (const object of adapter.list('uploads/no-such-prefix-')) empty.push(object);
      expect(empty).toEqual([]);
    });

    it('reports the checksum the store computed from the bytes it received (S3), none on local disk', async () => {
      const key = newKey();
      const body = randomBytes(100);
      const put = await adapter.put(key, body, PUT);
      const info = await adapter.head(key);
      if (subject.computesChecksums) {
        expect(put.checksum).toBe(crc64nvmeBase64(body));
        expect(info?.checksum).toBe(put.checksum);
      } else {
        expect(put.checksum === undefined || put.checksum === crc64nvmeBase64(body)).toBe(true);
        if (adapter.location === 'local') expect(info?.checksum).toBeUndefined();
      }
    });

    it('replaces an existing object', async () => {
      const key = newKey();
      await adapter.put(key, Buffer.from('first'), PUT);
      await adapter.put(key, Buffer.from('second!'), PUT);
      expect(await text(await adapter.get(key))).toBe('second!');
    });

    it('reads a byte range (inclusive), stopping at the last byte when the end is past it', async () => {
      const key = newKey();
      const body = randomBytes(1000);
      await adapter.put(key, body, PUT);
      const read = async (range: { start: number; end: number }): Promise<Buffer> => {
        const chunks: Buffer[] = [];
        for await (const chunk of await adapter.get(key, range)) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks);
      };
      expect((await read({ start: 10, end: 19 })).equals(body.subarray(10, 20))).toBe(true);
      // Safari's first request for a video (s3rver mishandles an end of 0, so not bytes=0-0).
      expect((await read({ start: 0, end: 1 })).equals(body.subarray(0, 2))).toBe(true);
      expect((await read({ start: 990, end: 5000 })).equals(body.subarray(990))).toBe(true);
      await expect(adapter.get(newKey(), { start: 0, end: 9 })).rejects.toMatchObject({
        name: 'StorageError',
        code: 'NotFound',
      });
    });

    it('throws NotFound when reading a missing key', async () => {
      await expect(adapter.get(newKey())).rejects.toMatchObject({ name: 'StorageError', code: 'NotFound' });
    });

    it('deletes, and deleting a missing key does not throw', async () => {
      const key = newKey();
      await adapter.put(key, Buffer.from('bye'), PUT);
      await adapter.delete(key);
      expect(await adapter.head(key)).toBeUndefined();
      await expect(adapter.delete(key)).resolves.toBeUndefined();
    });

    it('deletes several keys in one batch (S3), a missing key included', async () => {
      const keys = [newKey(), newKey(), newKey()];
      await Promise.all(keys.slice(0, 2).map((key) => adapter.put(key, Buffer.from('bye'), PUT)));
      // Local disk and the outage store have no batch: each delete there costs no round trip.
      if (!adapter.deleteMany) return expect(adapter.location).not.toBe('s3');
      await adapter.deleteMany(keys);
      for (const key of keys) expect(await adapter.head(key)).toBeUndefined();
    });

    it('leaves nothing behind when the body stream fails midway', async () => {
      const key = newKey();
      const before = await subject.listRaw('avatars');
      const error = await adapter.put(key, failingStream(64 * 1024), PUT).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect(await adapter.head(key)).toBeUndefined();
      expect(await subject.listRaw('avatars')).toEqual(before);
    });

    it('refuses keys that could escape the folder', async () => {
      for (const key of ['../etc/passwd', 'avatars/../../x.png', '/avatars/x.png', 'avatars/.hidden']) {
        await expect(adapter.put(key, Buffer.from('x'), PUT)).rejects.toBeInstanceOf(StorageError);
      }
    });

    it('builds a URL without I/O that serves the object with its type and cache headers', async () => {
      const key = newKey();
      const body = randomBytes(512);
      await adapter.put(key, body, PUT);
      const url = adapter.urlFor(key);
      expect(url.endsWith(key)).toBe(true);
      const response = await subject.fetchPublic(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      expect(response.headers.get('cache-control')).toMatch(/max-age=31536000/);
      expect(Buffer.from(await response.arrayBuffer()).equals(body)).toBe(true);
    });

    it('says it is available', async () => {
      expect(await adapter.isAvailable()).toBe(true);
    });
  });
}
