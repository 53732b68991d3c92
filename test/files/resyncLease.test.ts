/**
 * A resync pass holds the outbox row it works on for as long as the copy takes: its claim's
 * lease is short (a crashed pass's row is due again within seconds) and renewed while the
 * pass runs, so a second pass started meanwhile — another instance, the worker — leaves it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResync } from '../../src/files/resync.ts';
import { createLogger } from '../../src/logger.ts';
import { s3AdapterFor } from '../../src/storage/storageFromConfig.ts';
import { signUp, uploadAvatar } from '../support/browserlessMember.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { s3SettingsFor, startS3Server, type S3TestServer } from '../support/s3Server.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';

const LEASE_SECONDS = 1;

describe('a resync pass keeps its claim while it copies', () => {
  let s3: S3TestServer;
  let testApp: TestApp;
  beforeAll(async () => {
    s3 = await startS3Server();
    testApp = await createTestApp({ s3 });
    // Only the passes under test copy.
    await testApp.resyncLoop!.drain(0);
  });
  afterAll(async () => {
    await testApp?.close();
    await s3?.stop();
  });

  it('renews the lease of a copy that outlasts it, so a second pass does not take the row', async () => {
    const member = await signUp(testApp.app, 'slow-copy');
    await s3.pause();
    expect((await uploadAvatar(member, await makeImage('jpeg', 300, 300, '#7040a0'), 'me.jpg')).status).toBe(303);
    await s3.restart();
    const pass = (onStep?: () => Promise<void>) =>
      createResync({
        db: testApp.db,
        // Not the app's adapter: its breaker, opened by the outage, would refuse the copy.
        s3: s3AdapterFor(s3SettingsFor(s3, testApp.bucket!)),
        local: testApp.imageStorage.adapterFor('local')!,
        outageStore: testApp.imageStorage.adapterFor('db'),
        logger: createLogger({ level: 'silent' }),
        claimLeaseSeconds: LEASE_SECONDS,
        onStep: async (step) => {
          if (step === 'uploaded') await onStep?.();
        },
      }).runPass();

    let second: Awaited<ReturnType<typeof pass>> | undefined;
    // The first pass is slow after its upload: three leases long. Halfway, a second pass looks for work.
    const first = await pass(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_500 * LEASE_SECONDS));
      second = await pass();
      await new Promise((resolve) => setTimeout(resolve, 1_500 * LEASE_SECONDS));
    });

    expect(second).toEqual({ moved: 0, backedUp: 0, lost: 0, failed: 0, failures: [] });
    expect(first).toMatchObject({ moved: 1, failed: 0 });
    expect(
      await testApp.db.selectFrom('stored_files').select('location').where('folder', '=', 'avatars').execute(),
    ).toEqual([{ location: 's3' }]);
  }, 60_000);
});
