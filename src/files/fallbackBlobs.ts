/**
 * The outage store every instance shares: while S3 is down, with DATABASE_URL set, uploads
 * are kept in PostgreSQL as 1 MiB chunk rows (migration 0011), served by every instance at
 * /media/<key>, and moved to S3 by the worker's resync. Chunks keep memory bounded on both
 * sides (one bytea row for a 200 MB video cost ~1 GB in the app and in the server; chunks
 * ~100 MB; design §2). Bounded per file and in total by one counter row, reserved chunk by
 * chunk in the same transaction that stores the chunk, so the bound holds across instances.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import type { AppDatabase } from '../db/database.ts';
import {
  assertSafeKey,
  type ByteRange,
  type ListedObject,
  type ObjectInfo,
  type PutOptions,
  type PutResult,
  type StorageAdapter,
  StorageError,
} from '../storage/contract.ts';
import { mediaPathFor } from '../storage/imageUrls.ts';

export const FALLBACK_CHUNK_BYTES = 1024 * 1024;

export interface FallbackUsage {
  files: number;
  bytes: number;
  limitBytes: number;
  /** Seconds the oldest file has waited for S3; 0 when none. */
  oldestSeconds: number;
}

export interface DatabaseBlobAdapter extends StorageAdapter {
  usage(): Promise<FallbackUsage>;
  /** Deletes blobs a killed instance left half-written; returns how many. */
  deleteAbandoned(olderThanSeconds: number): Promise<number>;
}

const MB = 1024 * 1024;
const toBuffer = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/** Re-cuts any stream into chunks of exactly `size` bytes (the last one shorter). */
async function* chunksOf(body: Buffer | Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of Buffer.isBuffer(body) ? [body] : body) {
    let rest = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
    while (pendingBytes + rest.length >= size) {
      const take = size - pendingBytes;
      yield Buffer.concat([...pending, rest.subarray(0, take)]);
      pending = [];
      pendingBytes = 0;
      rest = rest.subarray(take);
    }
    if (rest.length > 0) {
      pending.push(rest);
      pendingBytes += rest.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending);
}

export function createDatabaseBlobAdapter({
  db,
  maxFileBytes,
  maxTotalBytes,
}: {
  db: AppDatabase;
  maxFileBytes: number;
  maxTotalBytes: number;
}): DatabaseBlobAdapter {
  async function remove(key: string): Promise<void> {
    // The bytes go back to the counter in the same statement that deletes the blob (and its chunks).
    await sql`
      with d as (delete from fallback_blobs where key = ${key} returning bytes)
      update fallback_usage set bytes = greatest(bytes - coalesce((select sum(bytes) from d), 0), 0)`.execute(db);
  }

  async function storeChunk(key: string, n: number, chunk: Buffer): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const { rows } = await sql`
        update fallback_usage set bytes = bytes + ${chunk.length}
        where bytes + ${chunk.length} <= ${maxTotalBytes} returning bytes`.execute(trx);
      if (rows.length === 0)
        throw new StorageError('FallbackFull', 'the outage store is full', { cause: { limitBytes: maxTotalBytes } });
      await sql`insert into fallback_chunks (key, n, data) values (${key}, ${n}, ${chunk})`.execute(trx);
      await sql`update fallback_blobs set bytes = bytes + ${chunk.length} where key = ${key}`.execute(trx);
    });
  }

  async function completeInfo(
    key: string,
  ): Promise<{ bytes: number; content_type: string; sha256: string | null } | undefined> {
    const { rows } = await sql<{ bytes: number | string; content_type: string; sha256: string | null }>`
      select bytes, content_type, sha256 from fallback_blobs where key = ${key} and complete`.execute(db);
    const row = rows[0];
    return row ? { ...row, bytes: Number(row.bytes) } : undefined;
  }

  /** The staged bytes become `key`, replacing what was there, in one transaction serialised per key. */
  async function publish(
    staging: string,
    key: string,
    info: { contentType: string; bytes: number; sha256: string },
  ): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`fallback:${key}`}))`.execute(trx);
      await sql`
        with d as (delete from fallback_blobs where key = ${key} returning bytes)
        update fallback_usage set bytes = greatest(bytes - coalesce((select sum(bytes) from d), 0), 0)`.execute(trx);
      await sql`insert into fallback_blobs (key, content_type, bytes, sha256, complete)
                values (${key}, ${info.contentType}, ${info.bytes}, ${info.sha256}, true)`.execute(trx);
      await sql`update fallback_chunks set key = ${key} where key = ${staging}`.execute(trx);
      // Its chunks (and their bytes in the counter) now belong to `key`.
      await sql`delete from fallback_blobs where key = ${staging}`.execute(trx);
    });
  }

  return {
    location: 'db',

    async put(key: string, body: Buffer | Readable, options: PutOptions): Promise<PutResult> {
      assertSafeKey(key);
      // The bytes go in under a staging name first ('~' is in no storage key, so it cannot
      // collide), and replace `key` in one transaction at the end: two puts of one key at once
      // (the same photo sent twice) both succeed, the last one wins, and a reader never sees
      // half a file.
      const staging = `${key}~${randomBytes(6).toString('hex')}`;
      await sql`insert into fallback_blobs (key, content_type) values (${staging}, ${options.contentType})`.execute(db);
      const hash = createHash('sha256');
      let size = 0;
      let n = 0;
      try {
        for await (const chunk of chunksOf(body, FALLBACK_CHUNK_BYTES)) {
          size += chunk.length;
          if (size > maxFileBytes)
            throw new StorageError(
              'FallbackFileTooLarge',
              `files kept during an outage are at most ${maxFileBytes / MB} MB`,
              {
                cause: { limitBytes: maxFileBytes },
              },
            );
          await storeChunk(staging, n, chunk);
          hash.update(chunk);
          n += 1;
        }
        await publish(staging, key, { contentType: options.contentType, bytes: size, sha256: hash.digest('hex') });
        // The database computes no checksum of its own: copies are verified against the bytes (crc64nvmeOf).
        return { checksum: undefined };
      } catch (error) {
        if (!Buffer.isBuffer(body)) body.destroy();
        await remove(staging).catch(() => undefined);
        if (error instanceof StorageError) throw error;
        throw new StorageError('Unreachable', `could not keep ${key} in the database`, { cause: error });
      }
    },

    async get(key: string, range?: ByteRange): Promise<Readable> {
      const info = await completeInfo(key);
      if (!info) throw new StorageError('NotFound', `${key} is not in the outage store`);
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? info.bytes - 1, info.bytes - 1);
      async function* read(): AsyncGenerator<Buffer> {
        if (end < start) return;
        const first = Math.floor(start / FALLBACK_CHUNK_BYTES);
        const last = Math.floor(end / FALLBACK_CHUNK_BYTES);
        for (let n = first; n <= last; n += 1) {
          const from = n === first ? start - n * FALLBACK_CHUNK_BYTES : 0;
          const to = n === last ? end - n * FALLBACK_CHUNK_BYTES : FALLBACK_CHUNK_BYTES - 1;
          // Only the bytes asked for leave the server: the first and last chunks are cut there.
          const { rows } = await sql<{ data: Uint8Array }>`
            select substring(data from ${from + 1} for ${to - from + 1}) as data
            from fallback_chunks where key = ${key} and n = ${n}`.execute(db);
          const row = rows[0];
          if (!row) throw new StorageError('NotFound', `${key} lost chunk ${n}`);
          yield toBuffer(row.data);
        }
      }
      return Readable.from(read(), { objectMode: false });
    },

    async head(key: string): Promise<ObjectInfo | undefined> {
      const info = await completeInfo(key);
      return info && { size: info.bytes, contentType: info.content_type };
    },

    async *list(prefix: string): AsyncIterable<ListedObject> {
      const { rows } = await sql<{ key: string; bytes: number | string; created_at: Date }>`
        select key, bytes, created_at from fallback_blobs
        where complete and starts_with(key, ${prefix}) order by key`.execute(db);
      for (const row of rows) yield { key: row.key, size: Number(row.bytes), lastModified: new Date(row.created_at) };
    },

    delete: remove,

    urlFor: (key) => mediaPathFor(key),

    async isAvailable(): Promise<boolean> {
      return sql`select 1`
        .execute(db)
        .then(() => true)
        .catch(() => false);
    },

    async usage(): Promise<FallbackUsage> {
      const { rows } = await sql<{ files: number; bytes: number | string; oldest: number | null }>`
        select count(*)::int as files, (select bytes from fallback_usage) as bytes,
               extract(epoch from now() - min(created_at))::float8 as oldest
        from fallback_blobs where complete`.execute(db);
      const row = rows[0];
      return {
        files: row?.files ?? 0,
        bytes: Number(row?.bytes ?? 0),
        limitBytes: maxTotalBytes,
        oldestSeconds: Math.max(0, Math.round(row?.oldest ?? 0)),
      };
    },

    async deleteAbandoned(olderThanSeconds: number): Promise<number> {
      const { rows } = await sql<{ key: string }>`
        select key from fallback_blobs
        where not complete and created_at < now() - make_interval(secs => ${olderThanSeconds})`.execute(db);
      for (const { key } of rows) await remove(key);
      return rows.length;
    },
  };
}
