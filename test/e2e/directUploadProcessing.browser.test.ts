/**
 * A direct avatar upload in Chromium while the worker has not processed it yet: finalize
 * answers at once, the form says it is processing, and the profile page (reloaded meanwhile)
 * shows an accessible "being processed" status beside the old picture. Once the job runs,
 * the page follows the status endpoint on its own and brings in the new image with the
 * confirmation. An image the pipeline refuses (too small) shows its sentence on the form.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { browserMissing, CHROMIUM_PATH } from '../support/browser.ts';
import { renderedImage, signUpInBrowser, startBrowserStage, type BrowserStage } from '../support/browserStage.ts';
import { makeImage } from '../support/imageFixtures.ts';

// Browser-to-bucket POST policies and CORS rules: MinIO only (s3rver implements neither).
const s3Kind = inject('s3').kind;

describe.skipIf(browserMissing || s3Kind !== 'minio')(
  `a direct upload being processed, in Chromium (${CHROMIUM_PATH}) against MinIO only (s3rver has no CORS rules or POST policies)`,
  () => {
    let stage: BrowserStage;
    beforeAll(async () => {
      stage = await startBrowserStage({ startWorker: false });
    });
    afterAll(async () => stage?.close());

    it('shows "being processed" until the worker has made the variants, then the new avatar', async () => {
      const { s3, testApp, origin, fileDir } = stage;
      const page = await stage.browser.newPage();
      const statusPolls: string[] = [];
      page.on('request', (request) => {
        const url = new URL(request.url());
        if (url.pathname === '/uploads/direct/status') statusPolls.push(url.searchParams.get('key') ?? '');
      });
      await signUpInBrowser(page, origin, 'processing-member');
      const photo = path.join(fileDir, 'portrait.jpg');
      await fs.writeFile(photo, await makeImage('jpeg', 800, 800, '#2f9e44'));
      await page.setInputFiles('#avatar-file', photo);
      await page.getByRole('button', { name: 'Upload avatar' }).click();
      await page.locator('[data-upload-status]', { hasText: 'Processing…' }).waitFor();
      // Finalize answered and queued the job; with no worker running it stays processing.
      await expect.poll(() => statusPolls.length, { timeout: 10_000 }).toBeGreaterThan(0);
      const uploads = await testApp.db.selectFrom('direct_uploads').select(['key', 'state']).execute();
      expect(uploads).toEqual([{ key: statusPolls[0], state: 'processing' }]);

      await page.reload();
      const notice = page.getByRole('status').filter({ hasText: 'Your new avatar is being processed' });
      await notice.waitFor();
      expect(await page.locator('#avatar').getAttribute('src')).toContain('avatars-placeholder.svg');

      await testApp.worker!.start();
      await page.locator('p.flash', { hasText: 'Avatar updated.' }).waitFor({ timeout: 20_000 });
      expect(await notice.count()).toBe(0);
      const avatar = await renderedImage(page, '#avatar');
      expect(avatar.currentSrc.startsWith(`${s3.endpoint}/${testApp.bucket}/avatars/`)).toBe(true);
      expect(avatar.naturalWidth).toBeGreaterThan(0);
      expect(await testApp.db.selectFrom('direct_uploads').select('state').execute()).toEqual([{ state: 'stored' }]);
    });

    it('shows the sentence on the form when the worker refuses the image', async () => {
      const { origin, fileDir } = stage;
      const page = await stage.browser.newPage();
      await signUpInBrowser(page, origin, 'tiny-member');
      const tiny = path.join(fileDir, 'tiny.png');
      await fs.writeFile(tiny, await makeImage('png', 40, 40, '#c92a2a'));
      await page.setInputFiles('#avatar-file', tiny);
      await page.getByRole('button', { name: 'Upload avatar' }).click();
      await page.locator('[data-upload-status]', { hasText: 'only 40×40 pixels' }).waitFor({ timeout: 20_000 });
      expect(new URL(page.url()).pathname).toBe('/profile');
      await page.reload();
      expect(await page.getByRole('alert').filter({ hasText: 'Your new avatar was not used' }).textContent()).toContain(
        'only 40×40 pixels',
      );
    });
  },
);
