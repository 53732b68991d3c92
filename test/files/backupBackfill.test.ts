/**
 * Backups that cover everything and prove it (#15, problem 2): files stored before the backup
 * bucket was configured are found (missing count), queued once by the backfill, copied with
 * progress and verified; storage:verify's check compares S3's checksums, so a backup object
 * corrupted in place (same size, one byte changed) is reported and repaired; a missing copy is
 * reported; gc finds leftovers in the backup bucket. MinIO (checksums), PGlite and PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { buffer as readAll } from 'node:stream/consumers';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { queueBackupBackfill } from '../../src/files/backupState.ts';
import { verifyBackup } from '../../src/files/verifyBackup.ts';
import { createLogger } from '../../src/logger.ts';
import { createS3Adapter } from '../../src/storage/adapters/s3.ts';
import { publicBaseUrlFor } from '../../src/storage/publicBaseUrl.ts';
import { collectGarbage } from '../../src/files/collectGarbage.ts';
import type { StorageAdapter } from '../../src/storage/contract.ts';
import { summariseOutbox } from '../../src/files/outbox.ts';
import { createResync } from '../../src/files/resync.ts';
import { createS3Client } from '../../src/storage/s3Client.ts';
import { csrfTokenFor, signUp } from '../support/browserlessMember.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { createBucket, makeS3Client, s3SettingsFor } from '../support/s3Server.ts';
import { listObjects } from '../support/storedState.ts';
import { availableDatabases, createTestApp, type TestApp } from '../support/testApp.ts';

const server = inject('s3');
const logger = createLogger({ level: 'silent' });

async function objectBytes(bucket: string, key: string): Promise<Buffer> {
  const client = makeS3Client(server);
  try {
    return await readAll((await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body as Readable);
  } finally {
    client.destroy();
  }
}

describe.skipIf(server.kind !== 'minio')(
  'backup backfill and verification (needs MinIO: s3rver computes no checksums)',
  () => {
    for (const database of availableDatabases(inject('databaseUrlAvailable'))) {
      describe(`on ${database}`, () => {
        let testApp: TestApp;
        let backupBucket: string;
        let backup: StorageAdapter;
        let destroyClient: () => void;
        beforeAll(async () => {
          // The app runs without a backup bucket first, as a deployment did before it was set.
          testApp = await createTestApp({ s3: server, database });
          backupBucket = `late-backup-${randomBytes(4).toString('hex')}`;
          await createBucket(server, backupBucket);
          const settings = s3SettingsFor(server, backupBucket);
          const client = createS3Client(settings);
          destroyClient = () => client.destroy();
          backup = createS3Adapter({ client, bucket: backupBucket, publicBaseUrl: publicBaseUrlFor(settings) });
        });
        afterAll(async () => {
          destroyClient?.();
          await testApp?.close();
        });

        it('queues every file from before the backup existed, copies them with progress, and verifies them', async () => {
          for (const [index, colour] of ['#aa3300', '#0033aa', '#33aa00'].entries()) {
            const member = await signUp(testApp.app, `early${index}`);
            const token = await csrfTokenFor(member, '/profile');
            const response = await member
              .post('/profile/avatar')
              .field('_csrf', token)
              .attach('avatar', await makeImage('png', 600, 600, colour), 'me.png');
            expect(response.status).toBe(303);
          }
          const primaryKeys = await listObjects(server, testApp.bucket!);
          expect(primaryKeys.length).toBe(12);
          const { db } = testApp;
          expect(await summariseOutbox(db)).toMatchObject({ backupPending: 0, backupMissing: 3 });

          expect(await queueBackupBackfill(db)).toBe(3);
          expect(await queueBackupBackfill(db)).toBe(0);
          expect(await summariseOutbox(db)).toMatchObject({ backupPending: 3, backupMissing: 3 });

          const s3 = testApp.imageStorage.adapterFor('s3')!;
          const local = testApp.imageStorage.adapterFor('local')!;
          const progress: number[] = [];
          const summary = await createResync({ db, s3, local, backup, logger }).runPass({
            ignoreLeases: true,
            onRow: (sofar) => progress.push(sofar.backedUp),
          });
          expect(summary).toMatchObject({ backedUp: 3, failed: 0 });
          expect(progress).toEqual([1, 2, 3]);
          expect(await listObjects(server, backupBucket)).toEqual(primaryKeys);
          expect(await summariseOutbox(db)).toMatchObject({ backupPending: 0, backupMissing: 0 });

          const clean = await verifyBackup({ db, primary: s3, backup });
          expect(clean).toMatchObject({ files: 3, objects: 12, matching: 12, problems: [] });
        });

        it('reports a corrupted and a missing backup object, and repairs both', async () => {
          const { db } = testApp;
          const s3 = testApp.imageStorage.adapterFor('s3')!;
          const [corrupted, deleted] = await listObjects(server, backupBucket);
          const original = await objectBytes(testApp.bucket!, corrupted!);
          const damaged = Buffer.from(original);
          damaged[damaged.length >> 1]! ^= 0xff;
          const admin = makeS3Client(server);
          await admin.send(
            // With a checksum of its own, so what differs is the checksum of the bytes, not its absence.
            new PutObjectCommand({
              Bucket: backupBucket,
              Key: corrupted,
              Body: damaged,
              ContentType: 'image/webp',
              ChecksumAlgorithm: 'CRC64NVME',
            }),
          );
          await admin.send(new DeleteObjectCommand({ Bucket: backupBucket, Key: deleted }));
          admin.destroy();

          const found = await verifyBackup({ db, primary: s3, backup });
          expect(found.matching).toBe(10);
          expect(found.problems).toHaveLength(2);
          expect(found.problems).toEqual(
            expect.arrayContaining([
              expect.objectContaining({ key: corrupted, kind: 'checksum-differs' }),
              expect.objectContaining({ key: deleted, kind: 'missing-from-backup' }),
            ]),
          );

          const repaired = await verifyBackup({ db, primary: s3, backup }, { repair: true });
          expect(repaired.problems.map((problem) => problem.repair)).toEqual([
            { ok: true, detail: 'copied again from the primary bucket and verified' },
            { ok: true, detail: 'copied again from the primary bucket and verified' },
          ]);
          expect(await verifyBackup({ db, primary: s3, backup })).toMatchObject({ matching: 12, problems: [] });
          expect((await objectBytes(backupBucket, corrupted!)).equals(original)).toBe(true);
        });

        it('storage:gc finds and deletes leftovers in the backup bucket too', async () => {
          const admin = makeS3Client(server);
          await admin.send(
            new PutObjectCommand({ Bucket: backupBucket, Key: 'avatars/u9-orphan.webp', Body: Buffer.from('orphan') }),
          );
          admin.destroy();
          const s3 = testApp.imageStorage.adapterFor('s3')!;
          const local = testApp.imageStorage.adapterFor('local')!;
          const twoDaysLater = () => new Date(Date.now() + 48 * 3_600_000);
          const summary = await collectGarbage(
            { db: testApp.db, adapters: [s3, local], backup, logger, now: twoDaysLater },
            { olderThanMs: 24 * 3_600_000, delete: true },
          );
          expect(summary.objects).toEqual([
            expect.objectContaining({ location: 'backup', key: 'avatars/u9-orphan.webp', deleted: true }),
          ]);
          expect(summary.byLocation.backup).toMatchObject({ scanned: 13, referenced: 12, garbage: 1, deleted: 1 });
          expect(await listObjects(server, backupBucket)).toHaveLength(12);
        });
      });
    }
  },
);
