/**
 * IMAGE_URL_MODE / VIDEO_URL_MODE through HTTP against a real S3 server with a private bucket:
 *   - signed: the same page rendered twice in one window links the same URLs, they load, and
 *     the bucket refuses anonymous reads (that part MinIO only: s3rver serves everything);
 *   - proxy: /media/<key> answers 200 then 304 for If-None-Match, 206 for a Range, never sets
 *     a cookie, and 404s anything that is not a stored file of a proxied folder;
 *   - private videos: VIDEO_URL_MODE=signed while images stay public, with Range working.
 */
import { createHash } from 'node:crypto';
import { PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import request from 'supertest';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { policyJson, publicReadBucketPolicy } from '../../src/storage/diagnosis/policies.ts';
import { csrfTokenFor, signUp, type Agent } from '../support/browserlessMember.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { makeMp4 } from '../support/videoFixtures.ts';
import { makeS3Client } from '../support/s3Server.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';

const s3 = inject('s3');
const minioOnly = s3.kind !== 'minio';

const unescapeHtml = (value: string) => value.replace(/&amp;/g, '&').replace(/&quot;/g, '"');

function avatarOn(html: string): { src: string; srcset: string } {
  const tag = /<img id="avatar"[^>]*>/.exec(html)?.[0] ?? /<img [^>]*class="avatar avatar-lg"[^>]*>/.exec(html)?.[0];
  if (!tag) throw new Error('No avatar on the page');
  return {
    src: unescapeHtml(/ src="([^"]+)"/.exec(tag)?.[1] ?? ''),
    srcset: unescapeHtml(/ srcset="([^"]+)"/.exec(tag)?.[1] ?? ''),
  };
}

async function uploadAvatar(agent: Agent, bytes: Buffer) {
  const token = await csrfTokenFor(agent, '/profile');
  const response = await agent
    .post('/profile/avatar')
    .field('_csrf', token)
    .attach('avatar', bytes, { filename: 'me.png', contentType: 'image/png' });
  if (response.status !== 303) throw new Error(`Avatar upload failed with ${response.status}`);
}

async function submitVideo(agent: Agent, video: Buffer, thumbnail: Buffer): Promise<string> {
  const token = await csrfTokenFor(agent, '/videos/new');
  const response = await agent
    .post('/videos')
    .field('_csrf', token)
    .field('title', 'Private clip')
    .field('description', '')
    .field('url', '')
    .attach('video', video, 'clip.mp4')
    .attach('thumbnail', thumbnail, 'thumb.png');
  if (response.status !== 303) throw new Error(`Video submission failed with ${response.status}`);
  return response.headers.location!;
}

function cspDirective(header: string | undefined, name: string): string[] {
  const directive = (header ?? '')
    .split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${name} `));
  return directive?.split(/\s+/).slice(1) ?? [];
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe(`IMAGE_URL_MODE=signed with a private bucket (${s3.kind})`, () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({
      s3,
      privateBucket: true,
      extraEnv: { IMAGE_URL_MODE: 'signed', SIGNED_URL_WINDOW_MINUTES: '60' },
    });
  });
  afterAll(async () => testApp?.close());

  it('renders the same signed URLs twice in one window, and they load', async () => {
    const agent = await signUp(testApp.app, 'signer');
    await uploadAvatar(agent, await makeImage('png', 300, 300));

    const first = avatarOn((await agent.get('/profile')).text);
    const second = avatarOn((await agent.get('/profile')).text);
    expect(second).toEqual(first);
    const onPublicPage = avatarOn((await request(testApp.app).get('/users/signer')).text);
    expect(onPublicPage.src).toBe(first.src);

    const bucketUrl = `${s3.endpoint}/${testApp.bucket}/avatars/`;
    const url = new URL(first.src);
    expect(`${url.origin}${url.pathname}`.startsWith(bucketUrl)).toBe(true);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('7200');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);

    for (const candidate of [first.src, ...first.srcset.split(', ').map((entry) => entry.split(' ')[0]!)]) {
      const image = await fetch(candidate);
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/webp');
      expect((await sharp(Buffer.from(await image.arrayBuffer())).metadata()).format).toBe('webp');
    }
  });

  it.skipIf(minioOnly)(
    'the bucket itself refuses anonymous reads (MinIO only: s3rver serves every object)',
    async () => {
      const agent = await signUp(testApp.app, 'anonymous-check');
      await uploadAvatar(agent, await makeImage('png', 100, 100));
      const { src } = avatarOn((await agent.get('/profile')).text);
      const unsigned = src.split('?')[0]!;
      const anonymous = await fetch(unsigned);
      expect(anonymous.status).toBe(403);
      await anonymous.body?.cancel();
    },
  );

  it('lets the CSP load images from the bucket origin', async () => {
    const page = await request(testApp.app).get('/');
    expect(cspDirective(page.headers['content-security-policy'], 'img-src')).toEqual([
      "'self'",
      'data:',
      new URL(s3.endpoint).origin,
    ]);
  });
});

describe(`IMAGE_URL_MODE=proxy with a private bucket (${s3.kind})`, () => {
  let testApp: TestApp;
  let agent: Agent;
  beforeAll(async () => {
    testApp = await createTestApp({ s3, privateBucket: true, extraEnv: { IMAGE_URL_MODE: 'proxy' } });
    agent = await signUp(testApp.app, 'proxied');
  });
  afterAll(async () => testApp?.close());

  it('serves /media/<key> with ETag and long caching, 304 for If-None-Match, and never a cookie', async () => {
    await uploadAvatar(agent, await makeImage('png', 300, 300));
    const { src, srcset } = avatarOn((await agent.get('/profile')).text);
    expect(src).toMatch(/^\/media\/avatars\/u\d+-[0-9a-f]{32}\.webp$/);
    expect(srcset).toMatch(/^\/media\/avatars\//);

    // The agent sends its session cookie, as a logged-in browser would.
    const full = await agent.get(src).buffer(true);
    expect(full.status).toBe(200);
    expect(full.headers['content-type']).toBe('image/webp');
    expect(full.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(full.headers['x-content-type-options']).toBe('nosniff');
    expect(full.headers['set-cookie']).toBeUndefined();
    const body = full.body as Buffer;
    expect(full.headers.etag).toBe(`"${sha256(body)}"`);
    expect(Number(full.headers['content-length'])).toBe(body.length);
    expect((await sharp(body).metadata()).format).toBe('webp');

    const revalidated = await agent.get(src).set('If-None-Match', full.headers.etag!);
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.etag).toBe(full.headers.etag);
    expect(revalidated.headers['set-cookie']).toBeUndefined();
    expect((await agent.get(src).set('If-None-Match', '"something-else"')).status).toBe(200);

    const head = await agent.head(src);
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(body.length);
  });

  it('answers a Range request with 206 and exactly those bytes, and 416 past the end', async () => {
    const { src } = avatarOn((await agent.get('/profile')).text);
    const full = (await request(testApp.app).get(src).buffer(true)).body as Buffer;

    const partial = await request(testApp.app).get(src).set('Range', 'bytes=10-49').buffer(true);
    expect(partial.status).toBe(206);
    expect(partial.headers['content-range']).toBe(`bytes 10-49/${full.length}`);
    expect(Number(partial.headers['content-length'])).toBe(40);
    expect((partial.body as Buffer).equals(full.subarray(10, 50))).toBe(true);

    const tail = await request(testApp.app).get(src).set('Range', 'bytes=-16').buffer(true);
    expect(tail.status).toBe(206);
    expect((tail.body as Buffer).equals(full.subarray(full.length - 16))).toBe(true);

    const beyond = await request(testApp.app)
      .get(src)
      .set('Range', `bytes=${full.length + 10}-`);
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${full.length}`);
  });

  it('streams uploaded videos with Range for the player', async () => {
    const mp4 = makeMp4(200 * 1024);
    const location = await submitVideo(agent, mp4, await makeImage('png', 320, 180));
    const page = (await agent.get(location)).text;
    const videoSrc = /<source src="([^"]+)" type="video\/mp4">/.exec(page)?.[1] ?? '';
    expect(videoSrc).toMatch(/^\/media\/uploads\/u\d+-[0-9a-f]{32}\.mp4$/);
    expect(/poster="([^"]+)"/.exec(page)?.[1]).toMatch(/^\/media\/thumbnails\//);

    const start = await request(testApp.app).get(videoSrc).set('Range', 'bytes=0-').buffer(true);
    expect(start.status).toBe(206);
    expect(start.headers['content-type']).toBe('video/mp4');
    expect(start.headers['content-range']).toBe(`bytes 0-${mp4.length - 1}/${mp4.length}`);
    expect((start.body as Buffer).equals(mp4)).toBe(true);
    const seek = await request(testApp.app).get(videoSrc).set('Range', 'bytes=100000-100099').buffer(true);
    expect(seek.status).toBe(206);
    expect((seek.body as Buffer).equals(mp4.subarray(100000, 100100))).toBe(true);
    expect(seek.headers.etag).toBe(`"${sha256(mp4)}"`);
  });

  it('answers 404 without a cookie for anything that is not a stored file', async () => {
    for (const path of [
      '/media/avatars/u1-00000000000000000000000000000000.webp',
      '/media/avatars/..%2F..%2Fetc%2Fpasswd',
      '/media/avatars/.hidden',
      '/media/secrets/u1-00000000000000000000000000000000.webp',
      '/media/avatars',
    ]) {
      const response = await agent.get(path);
      expect(response.status, path).toBe(404);
      expect(response.headers['set-cookie'], path).toBeUndefined();
    }
  });

  it('needs nothing but the app itself in the CSP', async () => {
    const page = await request(testApp.app).get('/');
    expect(cspDirective(page.headers['content-security-policy'], 'img-src')).toEqual(["'self'", 'data:']);
    expect(cspDirective(page.headers['content-security-policy'], 'media-src')).toEqual(["'self'"]);
  });
});

describe(`private videos: VIDEO_URL_MODE=signed while images stay public (${s3.kind})`, () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({
      s3,
      privateBucket: true,
      extraEnv: { IMAGE_URL_MODE: 'public', VIDEO_URL_MODE: 'signed' },
    });
    if (s3.kind === 'minio') {
      // Public read for the image folders only: uploads/ stays private.
      const policy = publicReadBucketPolicy(testApp.bucket!);
      policy.Statement[0]!.Resource = [
        `arn:aws:s3:::${testApp.bucket}/avatars/*`,
        `arn:aws:s3:::${testApp.bucket}/thumbnails/*`,
      ];
      const admin = makeS3Client(s3);
      await admin
        .send(new PutBucketPolicyCommand({ Bucket: testApp.bucket, Policy: policyJson(policy) }))
        .finally(() => admin.destroy());
    }
  });
  afterAll(async () => testApp?.close());

  it('links the video with a signed URL that supports Range, and the thumbnail publicly', async () => {
    const agent = await signUp(testApp.app, 'filmmaker');
    const mp4 = makeMp4(150 * 1024);
    const location = await submitVideo(agent, mp4, await makeImage('png', 320, 180));
    const page = (await agent.get(location)).text;
    const videoSrc = unescapeHtml(/<source src="([^"]+)" type="video\/mp4">/.exec(page)?.[1] ?? '');
    expect(videoSrc.startsWith(`${s3.endpoint}/${testApp.bucket}/uploads/`)).toBe(true);
    expect(new URL(videoSrc).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(unescapeHtml((await agent.get(location)).text)).toContain(videoSrc);
    const poster = /poster="([^"]+)"/.exec(page)?.[1] ?? '';
    expect(poster).toMatch(new RegExp(`^${s3.endpoint}/${testApp.bucket}/thumbnails/u\\d+-[0-9a-f]{32}\\.webp$`));

    const ranged = await fetch(videoSrc, { headers: { Range: 'bytes=1000-1999' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 1000-1999/${mp4.length}`);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(mp4.subarray(1000, 2000))).toBe(true);
    expect((await fetch(poster)).status).toBe(200);

    // Neither is served by the app: nothing here is in proxy mode.
    expect(
      (await request(testApp.app).get(new URL(videoSrc).pathname.replace(`/${testApp.bucket}/`, '/media/'))).status,
    ).toBe(404);

    if (s3.kind === 'minio') {
      const anonymous = await fetch(videoSrc.split('?')[0]!);
      expect(anonymous.status).toBe(403);
      await anonymous.body?.cancel();
    }

    const csp = (await request(testApp.app).get('/')).headers['content-security-policy'];
    expect(cspDirective(csp, 'media-src')).toEqual(["'self'", new URL(s3.endpoint).origin]);
  });
});
