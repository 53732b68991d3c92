/**
 * The outage store's bound through the real app on PostgreSQL: with S3 switched off and
 * FALLBACK_MAX_TOTAL_MB=1, a small avatar is kept (in the database, linked at /media); once
 * members' avatars hold the 1 MB, the next is refused with 503 and the sentence on the profile
 * form — no row, no chunk, no counted bytes left behind, nothing on disk.
 */
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signUp, uploadAvatar, type Agent } from '../support/browserlessMember.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { storedState } from '../support/storedState.ts';
import { startSwitchableProxy, type SwitchableProxy } from '../support/switchableProxy.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';

const s3 = inject('s3');

/** Random pixels: they do not compress, so every variant is large. */
async function noisyPhoto(side: number): Promise<Buffer> {
  return sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
}

describe.skipIf(!inject('databaseUrlAvailable'))(
  'the outage store is bounded (needs PostgreSQL: TEST_DATABASE_URL)',
  () => {
    let proxy: SwitchableProxy;
    let testApp: TestApp;
    let member: Agent;
    beforeAll(async () => {
      proxy = await startSwitchableProxy(s3.endpoint);
      testApp = await createTestApp({
        database: 'postgresql',
        s3,
        s3Overrides: { endpoint: proxy.endpoint },
        extraEnv: { FALLBACK_MAX_TOTAL_MB: '1', FALLBACK_MAX_FILE_MB: '1' },
      });
      member = await signUp(testApp.app, 'bounded');
      proxy.down();
    });
    afterAll(async () => {
      await testApp?.close();
      await proxy?.close();
    });

    it('keeps a small avatar in the database, then, once the 1 MB is held, refuses with 503 and the sentence on the form', async () => {
      const kept = await uploadAvatar(member, await makeImage('png', 64, 64, '#335577'), 'small.png', 'image/png');
      expect(kept.status).toBe(303);
      const profile = await member.get('/profile');
      expect(profile.text).toMatch(/src="\/media\/avatars\//);
      // Noisy avatars of new members until the 1 MB is held (a replaced avatar would free its bytes).
      let refused: Awaited<ReturnType<typeof uploadAvatar>> | undefined;
      let before = await storedState(testApp);
      let usageBefore: unknown;
      for (let attempt = 0; attempt < 10 && !refused; attempt++) {
        before = await storedState(testApp);
        usageBefore = (await sql<{ bytes: string }>`select bytes from fallback_usage`.execute(testApp.db)).rows[0];
        const uploader = await signUp(testApp.app, `noisy${attempt}`);
        const answer = await uploadAvatar(uploader, await noisyPhoto(1200), `noisy-${attempt}.jpg`);
        if (answer.status === 503) refused = answer;
        else expect(answer.status).toBe(303);
      }
      if (!refused) throw new Error('the noisy avatars of 10 members fit in 1 MB: the bound never held');
      expect(refused.text).toContain(
        'S3 is not answering and the space kept for uploads during an outage is full. Please try again in a few minutes.',
      );
      expect(refused.text).toMatch(/name="avatar"/);
      expect(await storedState(testApp)).toEqual(before);
      expect((await sql<{ bytes: string }>`select bytes from fallback_usage`.execute(testApp.db)).rows[0]).toEqual(
        usageBefore,
      );
      expect(before.files).toEqual([]);
    }, 60_000);
  },
);
