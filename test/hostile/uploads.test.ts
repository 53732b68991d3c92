/**
 * HOSTILE-INPUT.md "Uploads", lines 1–10, through HTTP against a real S3 server (MinIO in CI).
 * Every file is made in code. Each refusal is checked for its status, the sentence on the
 * form, that nothing was stored (object, local file, row, outbox, ledger), and that the
 * process still answers /healthz.
 */
import http from 'node:http';
import request from 'supertest';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { availableDatabases, createTestApp, type TestApp } from '../support/testApp.ts';
import { cookieOf, csrfTokenFor, signUp, uploadAvatar, type Agent } from '../support/browserlessMember.ts';
import { makeImage, NOT_AN_IMAGE } from '../support/imageFixtures.ts';
import * as hostile from '../support/hostileImages.ts';
import { expectNothingStoredSince, listObjects, storedState } from '../support/storedState.ts';
import { listenOnLoopback } from '../support/listen.ts';
import { multipart, postPartialBody } from '../support/rawUpload.ts';
import { makeMp4 } from '../support/videoFixtures.ts';
import { waitFor } from '../support/waitFor.ts';

const s3 = inject('s3');
const newName = (prefix: string) => `${prefix}${Math.random().toString(36).slice(2, 10)}`;
const AVATAR_FORM = 'id="avatar-file"';

describe.each(availableDatabases(inject('databaseUrlAvailable')))(
  `hostile uploads, S3 (${s3.kind}) with %s`,
  (database) => {
    let testApp: TestApp;
    let server: Awaited<ReturnType<typeof listenOnLoopback>>;
    beforeAll(async () => {
      testApp = await createTestApp({
        database,
        s3,
        extraEnv: {
          UPLOADS_PER_MINUTE: '1000',
          MAX_VIDEO_SIZE_MB: '1',
          MAX_IMAGE_SIZE_MB: '5',
          MAX_IMAGE_MEGAPIXELS: '40',
        },
      });
      server = await listenOnLoopback(testApp.app);
    });
    afterAll(async () => {
      await server?.close();
      await testApp?.close();
    });

    async function expectRefusedOnForm(
      agent: Agent,
      bytes: Buffer,
      filename: string,
      contentType: string,
      status: number,
      message: string,
    ) {
      const before = await storedState(testApp, s3);
      const response = await uploadAvatar(agent, bytes, filename, contentType);
      expect(response.status).toBe(status);
      expect(response.text).toContain(message);
      expect(response.text).toContain(AVATAR_FORM);
      await expectNothingStoredSince(before, testApp, s3);
    }

    const disguises = [
      ['holiday.jpg', 'image/jpeg'],
      ['scan.png', 'image/png'],
      ['noextension', 'application/octet-stream'],
    ] as const;
    it.each(Object.keys(NOT_AN_IMAGE).flatMap((kind) => disguises.map(([name, type]) => [kind, name, type] as const)))(
      '#1 %s sent as %s (%s) → 415 with the accepted formats on the form, nothing stored',
      async (kind, filename, contentType) => {
        const bytes = NOT_AN_IMAGE[kind as keyof typeof NOT_AN_IMAGE];
        await expectRefusedOnForm(
          await signUp(testApp.app, newName('n')),
          bytes,
          filename,
          contentType,
          415,
          'Please upload a JPEG, PNG, WebP, GIF or AVIF image.',
        );
      },
    );

    it('#2 an image over the limit → 413 on the form, answered before the body is read, nothing stored', async () => {
      const member = await signUp(testApp.app, newName('big'));
      const token = await csrfTokenFor(member, '/profile');
      const before = await storedState(testApp, s3);
      const head = multipart(
        [
          { name: '_csrf', body: token },
          { name: 'avatar', filename: 'big.jpg', contentType: 'image/jpeg', body: Buffer.alloc(6 * 1024 * 1024, 0xff) },
        ],
        { close: false },
      );
      // 200 MB declared, 6 MB sent: a server that buffered the whole body first would never answer.
      const response = await postPartialBody(`${server.origin}/profile/avatar`, {
        cookie: await cookieOf(member),
        sent: head,
        declaredLength: 200 * 1024 * 1024,
      });
      expect(response.status).toBe(413);
      expect(response.text).toContain('That file is too large. Images can be at most 5 MB.');
      expect(response.text).toContain(AVATAR_FORM);
      await expectNothingStoredSince(before, testApp, s3);
    });

    it('#2 a video over the limit → 413 next to the video field, nothing stored', async () => {
      const member = await signUp(testApp.app, newName('vid'));
      const before = await storedState(testApp, s3);
      const token = await csrfTokenFor(member, '/videos/new');
      const response = await member
        .post('/videos')
        .field('_csrf', token)
        .field('title', 'Too long')
        .field('url', '')
        .attach('video', makeMp4(2 * 1024 * 1024), 'long.mp4');
      expect(response.status).toBe(413);
      expect(response.text).toContain('That file is too large. Videos can be at most 1 MB.');
      expect(response.text).toContain('value="Too long"');
      await expectNothingStoredSince(before, testApp, s3);
    });

    const overLimits = [
      [
        'files',
        (t: string, png: Buffer) => [
          { name: '_csrf', body: t },
          { name: 'avatar', filename: 'a.png', body: png },
          { name: 'avatar', filename: 'b.png', body: png },
        ],
        /The form sent (too many files|a file in an unexpected field)/,
      ],
      [
        'fields',
        (t: string) => [
          { name: '_csrf', body: t },
          ...Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, body: 'x' })),
        ],
        'The form sent too many fields.',
      ],
      // Parts without a name are neither fields nor files, so only the parts limit counts them.
      [
        'parts',
        (t: string, png: Buffer) => [
          { name: '_csrf', body: t },
          ...Array.from({ length: 8 }, () => ({ name: '', anonymous: true, contentType: 'text/plain', body: 'x' })),
          { name: 'avatar', filename: 'a.png', body: png },
        ],
        'The form sent too many parts.',
      ],
      [
        'field size',
        (t: string) => [
          { name: '_csrf', body: t },
          { name: 'note', body: 'x'.repeat(2000) },
        ],
        'The form sent a field value that is too long.',
      ],
      [
        'field-name size',
        (t: string) => [
          { name: '_csrf', body: t },
          { name: 'n'.repeat(100), body: 'x' },
        ],
        'The form sent a field name that is too long.',
      ],
      // busboy 1.x bounds a part's headers itself (2000 pairs, 16 KB) whatever headerPairs says.
      [
        'header pairs',
        (t: string, png: Buffer) => [
          { name: '_csrf', body: t },
          {
            name: 'avatar',
            filename: 'a.png',
            body: png,
            headersBefore: Array.from({ length: 2500 }, (_, i) => `X-Junk-${i}: y`),
          },
        ],
        'The upload could not be read.',
      ],
    ] as const;
    it.each(overLimits)(
      '#3 too many %s → 400 with the reason on the form, nothing stored, process up',
      async (_limit, parts, message) => {
        const member = await signUp(testApp.app, newName('lim'));
        const token = await csrfTokenFor(member, '/profile');
        const before = await storedState(testApp, s3);
        const body = multipart(parts(token, await makeImage('png', 80, 80)));
        const response = await member
          .post('/profile/avatar')
          .set('content-type', 'multipart/form-data; boundary=----vvhostile')
          .send(body);
        expect(response.status).toBe(400);
        expect(response.text).toMatch(message);
        expect(response.text).toContain(AVATAR_FORM);
        await expectNothingStoredSince(before, testApp, s3);
      },
    );

    it("#3 request headers past Node's limit → 431, process up", async () => {
      const junk = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`x-junk-${i}`, 'y'.repeat(60)]));
      const response = await fetch(`${server.origin}/profile/avatar`, { method: 'POST', headers: junk, body: 'x' });
      expect(response.status).toBe(431);
      expect((await request(testApp.app).get('/healthz')).status).toBe(200);
    });

    it('#4 a tiny PNG declaring 20000×20000 pixels → 413 before decoding; memory barely moves', async () => {
      const member = await signUp(testApp.app, newName('bomb'));
      const bomb = hostile.pixelBombPng();
      expect(bomb.length).toBeLessThan(10_000);
      const rssBefore = process.memoryUsage().rss;
      await expectRefusedOnForm(member, bomb, 'bomb.png', 'image/png', 413, 'images can have at most 40 megapixels');
      // Decoding would need 1.2 GB (20000 × 20000 × 3 bytes).
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(150 * 1024 * 1024);
    });

    it('#5 a truncated JPEG → 422 "damaged or incomplete" on the form, nothing stored', async () => {
      await expectRefusedOnForm(
        await signUp(testApp.app, newName('trunc')),
        await hostile.truncatedJpeg(),
        'photo.jpg',
        'image/jpeg',
        422,
        'damaged or incomplete',
      );
    });

    it('#5 a PNG with garbage where its pixels should be → 4xx with a reason on the form, never a 500', async () => {
      const png = await makeImage('png', 200, 200);
      const corrupt = Buffer.concat([png.subarray(0, 60), Buffer.alloc(png.length - 60, 0x5a)]);
      const member = await signUp(testApp.app, newName('corrupt'));
      const before = await storedState(testApp, s3);
      const response = await uploadAvatar(member, corrupt, 'corrupt.png', 'image/png');
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.text).toContain(AVATAR_FORM);
      expect(response.text).toMatch(/role="alert"[^>]*>[^<]{10,}/);
      await expectNothingStoredSince(before, testApp, s3);
    });

    it('#6 the client file name never reaches a key, a URL, a page or a header', async () => {
      const names = ['../../etc/passwd.jpg', 'a.php%00.jpg', '<script>.png'];
      for (const filename of names) {
        const member = await signUp(testApp.app, newName('fname'));
        const response = await uploadAvatar(member, await makeImage('png', 80, 80), filename, 'image/png');
        expect(response.status).toBe(303);
        const profile = await member.get('/profile');
        for (const leaked of [filename, 'passwd', '.php', '<script>.png', '&lt;script&gt;.png']) {
          expect(profile.text).not.toContain(leaked);
          expect(JSON.stringify({ ...response.headers, ...profile.headers })).not.toContain(leaked);
        }
      }
      const keys = await listObjects(s3, testApp.bucket!);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(key).toMatch(/^avatars\/u\d+-[0-9a-f]{32}(-\d+)?\.webp$/);
    });

    it('#7 stored images are re-encoded: no EXIF/GPS, orientation applied, an appended ZIP payload gone', async () => {
      const member = await signUp(testApp.app, newName('exif'));
      const photo = await sharp(await hostile.orientedJpeg(6, 600, 400))
        .withMetadata({ orientation: 6 })
        .withExif({ IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' }, IFD0: { Make: hostile.GPS_MARKER } })
        .jpeg()
        .toBuffer();
      const storedCopies = async (bytes: Buffer) => {
        const keysBefore = await listObjects(s3, testApp.bucket!);
        expect((await uploadAvatar(member, bytes, 'IMG_0001.JPG')).status).toBe(303);
        const added = (await listObjects(s3, testApp.bucket!)).filter((key) => !keysBefore.includes(key));
        expect(added.length).toBeGreaterThan(0);
        return Promise.all(
          added.map(async (key) =>
            Buffer.from(await (await fetch(`${s3.endpoint}/${testApp.bucket}/${key}`)).arrayBuffer()),
          ),
        );
      };
      const photoCopies = await storedCopies(photo);
      for (const stored of [...photoCopies, ...(await storedCopies(await hostile.jpegWithZipAppended()))]) {
        const metadata = await sharp(stored).metadata();
        expect(metadata.exif).toBeUndefined();
        expect(metadata.xmp).toBeUndefined();
        expect(metadata.iptc).toBeUndefined();
        expect(stored.includes(Buffer.from(hostile.GPS_MARKER))).toBe(false);
        expect(stored.includes(Buffer.from('PK\x03\x04', 'latin1'))).toBe(false);
        expect(stored.includes(Buffer.from('<script>'))).toBe(false);
      }
      // Stored upright: 600×400 with red top-left, so the square middle crop's top-left is red.
      const { data, info } = await sharp(photoCopies[0]!).raw().toBuffer({ resolveWithObject: true });
      const topLeft = [
        ...data
          .subarray((Math.floor(info.height * 0.1) * info.width + Math.floor(info.width * 0.1)) * info.channels)
          .subarray(0, 3),
      ];
      expect(topLeft[0]).toBeGreaterThan(180);
      expect(topLeft[2]).toBeLessThan(80);
    });

    it('#8 an anonymous upload → 401 "Please log in first." before the body is read, nothing stored', async () => {
      const before = await storedState(testApp, s3);
      for (const path of ['/profile/avatar', '/videos']) {
        const head = multipart(
          [{ name: 'avatar', filename: 'a.jpg', contentType: 'image/jpeg', body: Buffer.alloc(64 * 1024) }],
          { close: false },
        );
        const response = await postPartialBody(`${server.origin}${path}`, {
          sent: head,
          declaredLength: 500 * 1024 * 1024,
        });
        expect(response.status).toBe(401);
        expect(response.text).toContain('Please log in first.');
        expect(response.elapsedMs).toBeLessThan(3000);
      }
      await expectNothingStoredSince(before, testApp, s3);
    });

    it('#8 an upload without a valid CSRF token → 403, nothing stored', async () => {
      const member = await signUp(testApp.app, newName('csrf'));
      const before = await storedState(testApp, s3);
      const missing = await member.post('/profile/avatar').attach('avatar', await makeImage('jpeg'), 'a.jpg');
      const forged = await member
        .post('/profile/avatar')
        .field('_csrf', 'forged')
        .attach('avatar', await makeImage('jpeg'), 'a.jpg');
      for (const response of [missing, forged]) {
        expect(response.status).toBe(403);
        expect(response.text).toContain('This form has expired or was not sent from VideoVote.');
      }
      await expectNothingStoredSince(before, testApp, s3);
    });

    it("#8 another member's thumbnail → 403, nothing stored", async () => {
      const owner = await signUp(testApp.app, newName('owner'));
      const token = await csrfTokenFor(owner, '/videos/new');
      const created = await owner
        .post('/videos')
        .type('form')
        .send({ _csrf: token, title: 'Mine', url: 'https://example.com/watch?v=1' });
      expect(created.status).toBe(303);
      const intruder = await signUp(testApp.app, newName('intruder'));
      const before = await storedState(testApp, s3);
      const intruderToken = await csrfTokenFor(intruder, created.headers.location!);
      const response = await intruder
        .post(`${created.headers.location}/thumbnail`)
        .field('_csrf', intruderToken)
        .attach('thumbnail', await makeImage('png', 200, 120), 't.png');
      expect(response.status).toBe(403);
      expect(response.text).toContain('Only the member who submitted this video can change it.');
      await expectNothingStoredSince(before, testApp, s3);
    });

    it('#10 a client that aborts mid-upload leaves no temp file, no object, no row and no open socket', async () => {
      const member = await signUp(testApp.app, newName('abort'));
      const token = await csrfTokenFor(member, '/videos/new');
      const before = await storedState(testApp, s3);
      const head = multipart(
        [
          { name: '_csrf', body: token },
          { name: 'title', body: 'Aborted' },
          { name: 'video', filename: 'a.mp4', contentType: 'video/mp4', body: makeMp4(300 * 1024) },
        ],
        { close: false },
      );
      const upload = http.request(`${server.origin}/videos`, {
        method: 'POST',
        headers: {
          cookie: await cookieOf(member),
          'content-type': 'multipart/form-data; boundary=----vvhostile',
          'content-length': String(900 * 1024),
        },
      });
      upload.on('error', () => undefined);
      upload.write(head);
      const spooled = async () => (await storedState(testApp, s3)).tempFiles.length;
      await waitFor('the upload to be spooled', async () => (await spooled()) === 1);
      // The upload really was being spooled when the client went away.
      expect((await storedState(testApp, s3)).tempFiles).toHaveLength(1);
      upload.destroy();
      await waitFor('the abandoned upload to be cleaned up', async () => (await spooled()) === 0);
      await waitFor('the connection to close', async () => (await server.openConnections()) === 0);
      await expectNothingStoredSince(before, testApp, s3);
      expect(await server.openConnections()).toBe(0);
    });
  },
);

describe('#9 per-member upload limits', () => {
  let testApp: TestApp;
  let quotaApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ s3, extraEnv: { UPLOADS_PER_MINUTE: '3' } });
    quotaApp = await createTestApp({ s3, extraEnv: { DAILY_UPLOAD_MB: '1' } });
  });
  afterAll(async () => {
    await testApp?.close();
    await quotaApp?.close();
  });
  const colourful = () =>
    makeImage(
      'png',
      100,
      100,
      `#${Math.floor(Math.random() * 0xffffff)
        .toString(16)
        .padStart(6, '0')}`,
    );

  it('#9 the fourth upload within a minute (UPLOADS_PER_MINUTE=3) → 429 with Retry-After and the reason on the form, nothing stored; others unaffected', async () => {
    const eager = await signUp(testApp.app, 'eager');
    for (const name of ['a.png', 'b.png', 'c.png'])
      expect((await uploadAvatar(eager, await colourful(), name)).status).toBe(303);
    const before = await storedState(testApp, s3);
    const third = await uploadAvatar(eager, await colourful(), 'd.png');
    expect(third.status).toBe(429);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    expect(third.text).toMatch(/You are uploading too fast\. Please wait \d+ seconds and try again\./);
    expect(third.text).toContain(AVATAR_FORM);
    await expectNothingStoredSince(before, testApp, s3);
    expect((await uploadAvatar(await signUp(testApp.app, 'calm'), await colourful(), 'a.png')).status).toBe(303);
  });

  it('#9 past the daily byte quota → 429 with Retry-After on the form and for direct uploads, nothing stored', async () => {
    const hoarder = await signUp(quotaApp.app, 'hoarder');
    // Made first: past the quota, every upload route refuses before reading the body, link-only submissions included.
    const token = await csrfTokenFor(hoarder, '/videos/new');
    const video = await hoarder
      .post('/videos')
      .type('form')
      .send({ _csrf: token, title: 'Linked', url: 'https://example.com/v' });
    expect(video.status).toBe(303);
    const noisy = await sharp({
      create: {
        width: 700,
        height: 700,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean: 128, sigma: 60 },
      },
    })
      .png()
      .toBuffer();
    expect(noisy.length).toBeGreaterThan(1024 * 1024);
    expect((await uploadAvatar(hoarder, noisy, 'noise.png', 'image/png')).status).toBe(303);
    const before = await storedState(quotaApp, s3);
    const refused = await uploadAvatar(hoarder, await colourful(), 'small.png', 'image/png');
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(23 * 3600);
    expect(retryAfter).toBeLessThanOrEqual(24 * 3600);
    expect(refused.text).toContain(
      'You have reached your daily upload limit of 1 MB. You can upload again in about 24 hours.',
    );
    expect(refused.text).toContain(AVATAR_FORM);
    const presign = await hoarder
      .post('/uploads/presign')
      .set('x-csrf-token', await csrfTokenFor(hoarder, '/profile'))
      .set('accept', 'application/json')
      .send({ purpose: 'avatar', contentType: 'image/png', size: 1000 });
    expect(presign.status).toBe(429);
    expect(presign.body.error).toContain('daily upload limit');
    const before2 = await storedState(quotaApp, s3);
    const thumbnail = await hoarder
      .post(`${video.headers.location}/thumbnail`)
      .field('_csrf', token)
      .attach('thumbnail', await colourful(), 't.png');
    expect(thumbnail.status).toBe(429);
    expect(thumbnail.text).toContain('id="thumbnail-file"');
    expect(thumbnail.text).toContain('daily upload limit');
    await expectNothingStoredSince(before2, quotaApp, s3);
    await expectNothingStoredSince(before, quotaApp, s3);
    expect((await request(quotaApp.app).get('/healthz')).status).toBe(200);
  });
});
