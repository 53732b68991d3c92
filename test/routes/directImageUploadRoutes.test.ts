/**
 * The direct image upload's HTTP side on the real app (composeApp, a real S3 server, the
 * embedded database, and PostgreSQL when TEST_DATABASE_URL is set): finalize answers 202 with
 * the status URL; the status endpoint is cheap and read-only — it sets no cookie and touches
 * no session row however often it is polled; the profile says the avatar is being processed
 * until the inline worker has stored it, then shows the confirmation once.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { availableDatabases, createTestApp, type TestApp } from '../support/testApp.ts';
import { csrfTokenFor, signUp, type Agent } from '../support/browserlessMember.ts';
import { makeImage } from '../support/imageFixtures.ts';

const server = inject('s3');

describe.each(availableDatabases(Boolean(process.env.TEST_DATABASE_URL)))(
  'direct image upload routes on %s',
  (database) => {
    let testApp: TestApp;
    let member: Agent;
    let token: string;

    beforeAll(async () => {
      testApp = await createTestApp({ s3: server, database });
      member = await signUp(testApp.app, 'poller');
      token = await csrfTokenFor(member, '/profile');
    });
    afterAll(async () => testApp?.close());

    async function uploadToBucket(bytes: Buffer): Promise<string> {
      const signed = await member
        .post('/uploads/presign')
        .set('x-csrf-token', token)
        .send({ purpose: 'avatar', contentType: 'image/jpeg', size: bytes.length });
      expect(signed.status).toBe(200);
      const form = new FormData();
      for (const [name, value] of Object.entries(signed.body.fields as Record<string, string>)) form.set(name, value);
      form.set('file', new Blob([new Uint8Array(bytes)]), 'photo.jpg');
      expect((await fetch(signed.body.url as string, { method: 'POST', body: form })).status).toBeLessThan(300);
      return signed.body.key as string;
    }

    /** The inline job runner, held back at first so the processing state can be seen. */
    let workerStarted: Promise<void> | undefined;
    const startWorker = () => (workerStarted ??= testApp.worker?.start() ?? Promise.resolve());

    const sessionRows = () => testApp.db.selectFrom('sessions').select(['sid', 'expires_at', 'data']).execute();

    it('finalize answers 202 with a status URL; polls neither set a cookie nor write the session; the page follows the job', async () => {
      const key = await uploadToBucket(await makeImage('jpeg', 500, 500, '#0b7285'));
      const finalized = await member.post('/uploads/finalize').set('x-csrf-token', token).send({ key });
      expect(finalized.status).toBe(202);
      const statusUrl = `/uploads/direct/status?key=${encodeURIComponent(key)}`;
      expect(finalized.body).toEqual({ state: 'processing', statusUrl, page: '/profile' });
      expect(finalized.headers.location).toBe(statusUrl);

      const before = await sessionRows();
      for (let poll = 0; poll < 3; poll++) {
        const status = await member.get(statusUrl);
        expect(status.status).toBe(200);
        expect(status.body).toEqual({ state: 'processing', page: '/profile' });
        expect(status.headers['set-cookie']).toBeUndefined();
        expect(status.headers['cache-control']).toBe('no-store');
      }
      expect(await sessionRows()).toEqual(before);

      const processing = await member.get('/profile');
      expect(processing.text).toContain('Your new avatar is being processed');
      expect(processing.text).toContain(`data-direct-upload-status="${key}"`);
      expect(processing.text).not.toContain('Avatar updated.');

      await startWorker();
      let state = 'processing';
      for (let poll = 0; poll < 200 && state === 'processing'; poll++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        state = (await member.get(statusUrl)).body.state as string;
      }
      expect(state).toBe('stored');
      const stored = await member.get('/profile');
      expect(stored.text).toContain('Avatar updated.');
      expect(stored.text).not.toContain('being processed');
      expect(stored.text).toMatch(/<img[^>]+id="avatar"[^>]+src="[^"]+\/avatars\/u\d+-[0-9a-f]{32}\.webp"/);
      // The confirmation is shown once.
      expect((await member.get('/profile')).text).not.toContain('Avatar updated.');
    });

    it('a refusal from the worker shows on the profile instead of the confirmation', async () => {
      await startWorker();
      const key = await uploadToBucket(await makeImage('jpeg', 40, 40, '#e67700'));
      expect((await member.post('/uploads/finalize').set('x-csrf-token', token).send({ key })).status).toBe(202);
      let status = { state: 'processing', refusal: undefined as string | undefined };
      for (let poll = 0; poll < 200 && status.state === 'processing'; poll++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = (await member.get(`/uploads/direct/status?key=${encodeURIComponent(key)}`)).body;
      }
      expect(status.state).toBe('refused');
      expect(status.refusal).toContain('only 40×40 pixels');
      const page = await member.get('/profile');
      expect(page.text).toContain('Your new avatar was not used');
      expect(page.text).toContain('only 40×40 pixels');
      expect(page.text).not.toContain('Avatar updated.');
    });

    it('answers 404 for a key that is not an image upload, without a session', async () => {
      const unknown = await member.get(
        `/uploads/direct/status?key=${encodeURIComponent(`incoming/u1/${'0'.repeat(32)}`)}`,
      );
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ error: 'There is no such upload.' });
      expect((await member.get('/uploads/direct/status?key=../../etc')).status).toBe(404);
    });
  },
);
