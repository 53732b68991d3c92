/** Proves the test harness itself: the shared S3 server, restartable servers and PostgreSQL. */
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Client } from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabaseUrl } from './postgres.ts';
import { createBucket, makeS3Client, startS3Server, type S3Connection } from './s3Server.ts';

const s3 = inject('s3');

function uniqueBucketName(): string {
  return `harness-${randomBytes(4).toString('hex')}`;
}

async function readObject(client: S3Client, bucket: string, key: string): Promise<string> {
  const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await Body?.transformToString('utf8')) ?? '';
}

async function putObject(server: S3Connection, bucket: string, key: string, body: string): Promise<void> {
  const client = makeS3Client(server);
  try {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'text/plain' }));
  } finally {
    client.destroy();
  }
}

describe('shared S3 test server', () => {
  it('stores and returns an object in a fresh bucket', async () => {
    const bucket = uniqueBucketName();
    await createBucket(s3, bucket);
    await putObject(s3, bucket, 'hello.txt', 'hello from the harness');

    const client = makeS3Client(s3);
    try {
      expect(await readObject(client, bucket, 'hello.txt')).toBe('hello from the harness');
    } finally {
      client.destroy();
    }
  });

  it.runIf(process.env.S3_TEST_SERVER === 'minio')('is MinIO when S3_TEST_SERVER=minio', () => {
    expect(s3.kind).toBe('minio');
  });
});

describe('a dedicated S3 test server', () => {
  it('keeps its port and data across pause() and restart()', async () => {
    const server = await startS3Server();
    try {
      const bucket = uniqueBucketName();
      await createBucket(server, bucket);
      await putObject(server, bucket, 'kept.txt', 'still here');

      await server.pause();
      const client = makeS3Client(server);
      try {
        await expect(readObject(client, bucket, 'kept.txt')).rejects.toThrow();
        await server.restart();
        expect(await readObject(client, bucket, 'kept.txt')).toBe('still here');
      } finally {
        client.destroy();
      }
    } finally {
      await server.stop();
    }
  });
});

describe.skipIf(!inject('databaseUrlAvailable'))('throwaway PostgreSQL database (TEST_DATABASE_URL)', () => {
  it('creates a database that answers queries, then drops it', async () => {
    const database = await createTestDatabaseUrl();
    expect(database).toBeDefined();
    if (!database) return;
    try {
      const client = new Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ answer: number }>('SELECT 1 AS answer');
        expect(rows).toEqual([{ answer: 1 }]);
      } finally {
        await client.end();
      }
    } finally {
      await database.drop();
    }
  });
});
