/**
 * storage:usage (#15): objects and bytes per folder match a listing this test makes itself
 * with its own client, in the primary bucket, the backup bucket and on local disk; fallback
 * bytes come from the rows on local disk; PUTs and GETs are the ones the app recorded as it
 * made them. Real S3 server; PGlite and PostgreSQL.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_PRICES, measureStorageUsage } from '../../src/files/storageUsage.ts';
import { s3AdapterFor } from '../../src/storage/storageFromConfig.ts';
import { csrfTokenFor, signUp } from '../support/browserlessMember.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { makeS3Client } from '../support/s3Server.ts';
import { availableDatabases, createTestApp, type TestApp } from '../support/testApp.ts';

const server = inject('s3');

async function independentListing(bucket: string) {
  const client = makeS3Client(server);
  const byFolder: Record<string, { objects: number; bytes: number }> = {};
  try {
    for (const folder of ['avatars', 'thumbnails', 'uploads', 'incoming']) {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${folder}/` }));
      const contents = listed.Contents ?? [];
      byFolder[folder] = { objects: contents.length, bytes: contents.reduce((sum, o) => sum + (o.Size ?? 0), 0) };
    }
  } finally {
    client.destroy();
  }
  const objects = Object.values(byFolder).reduce((sum, tally) => sum + tally.objects, 0);
  const bytes = Object.values(byFolder).reduce((sum, tally) => sum + tally.bytes, 0);
  return { objects, bytes, byFolder };
}

for (const database of availableDatabases(inject('databaseUrlAvailable'))) {
  describe(`storage:usage on ${database}`, () => {
    let testApp: TestApp;
    beforeAll(async () => {
      testApp = await createTestApp({ s3: server, backupBucket: true, database });
    });
    afterAll(async () => testApp?.close());

    it('matches an independent listing, counts fallback bytes, and prices the recorded requests', async () => {
      for (const [index, colour] of ['#123456', '#654321'].entries()) {
        const member = await signUp(testApp.app, `usage${index}`);
        const token = await csrfTokenFor(member, '/profile');
        const response = await member
          .post('/profile/avatar')
          .field('_csrf', token)
          .attach('avatar', await makeImage('png', 600, 600, colour), 'me.png');
        expect(response.status).toBe(303);
      }
      await testApp.resyncLoop!.drain(Date.now() + 20_000);
      // A leftover no row knows still costs money: usage lists, it does not trust the rows.
      const admin = makeS3Client(server);
      await admin.send(
        new PutObjectCommand({ Bucket: testApp.bucket!, Key: 'uploads/u1-orphan.mp4', Body: Buffer.alloc(1234, 1) }),
      );
      admin.destroy();
      // One file held on local disk for S3 (it fell back), and its bytes there.
      const localKey = 'thumbnails/v1-fallback.webp';
      await fs.mkdir(path.join(testApp.localDir, 'static', 'thumbnails'), { recursive: true });
      await fs.writeFile(path.join(testApp.localDir, 'static', localKey), Buffer.alloc(777, 2));
      await testApp.db
        .insertInto('stored_files')
        .values({
          owner_id: null,
          folder: 'thumbnails',
          key: localKey,
          location: 'local',
          content_type: 'image/webp',
          bytes: 777,
          sha256: 'c'.repeat(64),
        })
        .execute();
      await testApp.requestLedger.flush();

      const backup = s3AdapterFor({
        bucket: testApp.backupBucket!,
        region: server.region,
        endpoint: server.endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      });
      const report = await measureStorageUsage({
        db: testApp.db,
        primary: testApp.imageStorage.adapterFor('s3'),
        backup,
        local: testApp.imageStorage.adapterFor('local')!,
      });

      const primaryListing = await independentListing(testApp.bucket!);
      expect(primaryListing.objects).toBe(9);
      expect(report.primary).toEqual(primaryListing);
      const backupListing = await independentListing(testApp.backupBucket!);
      expect(backupListing.objects).toBe(8);
      expect(report.backup).toEqual(backupListing);
      expect(report.local).toMatchObject({
        objects: 1,
        bytes: 777,
        byFolder: { thumbnails: { objects: 1, bytes: 777 } },
      });
      expect(report.fallback).toEqual({ files: 1, bytes: 777 });

      // Recorded as made: 4 variants x 2 avatars written to the primary, each copied once to the backup.
      expect(report.requests.primary.puts).toBe(8);
      expect(report.requests.backup.puts).toBe(8);
      expect(report.requests.primary.gets).toBeGreaterThanOrEqual(8);
      const { perGbMonth, perThousandPuts, perThousandGets } = DEFAULT_PRICES;
      const gib = 1024 ** 3;
      const putClass =
        report.requests.primary.puts +
        report.requests.primary.lists +
        report.requests.backup.puts +
        report.requests.backup.lists;
      const getClass = report.requests.primary.gets + report.requests.backup.gets;
      expect(report.cost.storage).toBeCloseTo(((primaryListing.bytes + backupListing.bytes) / gib) * perGbMonth, 12);
      expect(report.cost.puts).toBeCloseTo((putClass / 1000) * perThousandPuts, 12);
      expect(report.cost.gets).toBeCloseTo((getClass / 1000) * perThousandGets, 12);
      expect(report.cost.total).toBeCloseTo(report.cost.storage + report.cost.puts + report.cost.gets, 12);

      // The counts are in the database, not only in memory.
      const stored = await testApp.db.selectFrom('storage_requests').selectAll().where('kind', '=', 'put').execute();
      expect(stored.map((row) => [row.target, Number(row.count)]).sort()).toEqual([
        ['backup', 8],
        ['primary', 8],
      ]);
    });
  });
}
