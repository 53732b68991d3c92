/**
 * A file that fell back while S3 was down, and whose copy then failed again and again because
 * S3 stayed unreachable, is retried within seconds once S3 is back — not after a back-off grown
 * by its failures. The soak run found 43 files still in the outage store minutes after the
 * last outage: each had met several 20 s outages, and the back-off (5 s doubling to 300 s)
 * had pushed its next attempt past S3's return. Back-off stays for failures of the file itself.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResync } from '../../src/files/resync.ts';
import { createLogger } from '../../src/logger.ts';
import { signUp, uploadAvatar } from '../support/browserlessMember.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { startS3Server, type S3TestServer } from '../support/s3Server.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';

describe('resync retries after an outage', () => {
  let s3: S3TestServer;
  let testApp: TestApp;
  beforeAll(async () => {
    s3 = await startS3Server();
    testApp = await createTestApp({ s3 });
  });
  afterAll(async () => {
    await testApp?.close();
    await s3?.stop();
  });

  it('keeps the next attempt within seconds however often S3 was unreachable, and moves the file once it is back', async () => {
    const member = await signUp(testApp.app, 'often-down');
    await s3.pause();
    expect((await uploadAvatar(member, await makeImage('jpeg', 200, 200), 'me.jpg')).status).toBe(303);
    const resync = createResync({
      db: testApp.db,
      s3: testApp.imageStorage.adapterFor('s3')!,
      local: testApp.imageStorage.adapterFor('local')!,
      logger: createLogger({ level: 'silent' }),
    });
    // Six passes while S3 is away (taking the row whatever its back-off): six failed attempts.
    for (let pass = 0; pass < 6; pass++) expect((await resync.runPass({ ignoreLeases: true })).failed).toBe(1);
    const { rows } = await sql<{ attempts: number; wait: number }>`
      select attempts, extract(epoch from next_attempt_at - now())::float8 as wait
      from pending_copies where target = 'primary'`.execute(testApp.db);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.attempts).toBe(6);
    // Doubling from 5 s would have said 300 s by now.
    expect(rows[0]!.wait).toBeLessThanOrEqual(5);

    await s3.restart();
    await testApp.storageHealth.refresh();
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    expect((await resync.runPass()).moved).toBe(1);
    expect(
      await testApp.db.selectFrom('stored_files').select('location').where('folder', '=', 'avatars').execute(),
    ).toEqual([{ location: 's3' }]);
  }, 60_000);
});
