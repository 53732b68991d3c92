/**
 * /healthz names the cause (#15, problem 4), found by the health probe itself — before any
 * upload: unreachable, bad credentials, missing bucket, wrong region, and "browsers cannot
 * read public URLs" (public mode on a private bucket); and it names the delivery mode. Details
 * only with the token (issue #14). MinIO only: s3rver accepts wrong keys and serves everything.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { csrfTokenFor, signUp } from '../support/browserlessMember.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { closedPortEndpoint } from '../support/network.ts';
import { createTestApp, type TestApp, type TestAppOptions } from '../support/testApp.ts';

const server = inject('s3');
const TOKEN = randomBytes(16).toString('hex');

describe.skipIf(server.kind !== 'minio')('/healthz names the cause (needs MinIO)', () => {
  let testApp: TestApp | undefined;
  afterEach(async () => {
    await testApp?.close();
    testApp = undefined;
  });

  async function healthOf(options: TestAppOptions) {
    testApp = await createTestApp({
      s3: server,
      ...options,
      extraEnv: { HEALTHZ_TOKEN: TOKEN, ...options.extraEnv },
    });
    await testApp.storageHealth.refresh();
    const anonymous = await request(testApp.app).get('/healthz');
    expect(Object.keys(anonymous.body)).toEqual(['status']);
    return (await request(testApp.app).get('/healthz').set('Authorization', `Bearer ${TOKEN}`)).body;
  }

  it('bad credentials', async () => {
    const health = await healthOf({ s3Overrides: { secretAccessKey: 'not-the-right-secret-key' } });
    expect(health.status).toBe('degraded');
    expect(health.storage.s3).toMatchObject({ reachable: false, problem: 'InvalidCredentials' });
    expect(health.reasons).toContain(
      'S3 rejects the credentials (InvalidCredentials): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; new images are kept on local disk and moved to S3 once it is fixed.',
    );
    expect(JSON.stringify(health)).not.toContain('not answering');
  });

  it('missing bucket', async () => {
    const health = await healthOf({ extraEnv: { AWS_BUCKET_NAME: 'no-such-bucket-for-health' } });
    expect(health.storage.s3).toMatchObject({ reachable: false, problem: 'NoSuchBucket' });
    expect(health.reasons).toContain(
      'Bucket "no-such-bucket-for-health" does not exist at this endpoint (NoSuchBucket): check AWS_BUCKET_NAME and AWS_ENDPOINT_URL; new images are kept on local disk and moved to S3 once it is fixed.',
    );
  });

  // MinIO without MINIO_SITE_REGION signs for any region, so it cannot refuse one: this
  // endpoint answers as AWS does for a request signed for the wrong region.
  it('wrong region (an endpoint answering as AWS does: MinIO accepts any region)', async () => {
    const aws = http.createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AuthorizationHeaderMalformed</Code>' +
          "<Message>The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-3'</Message>" +
          '<Region>eu-west-3</Region></Error>',
      );
    });
    await new Promise<void>((resolve) => aws.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(aws.address() as AddressInfo).port}`;
      const health = await healthOf({ s3Overrides: { endpoint } });
      expect(health.storage.s3).toMatchObject({ reachable: false, problem: 'WrongRegion' });
      expect(health.reasons).toContain(
        "The bucket is not in the region the app signs for (WrongRegion): set AWS_REGION to the bucket's region; new images are kept on local disk and moved to S3 once it is fixed.",
      );
    } finally {
      aws.closeAllConnections();
      await new Promise<void>((resolve) => aws.close(() => resolve()));
    }
  });

  it('unreachable', { timeout: 30_000 }, async () => {
    const health = await healthOf({ s3Overrides: { endpoint: await closedPortEndpoint() } });
    expect(health.storage.s3).toMatchObject({ reachable: false, problem: 'Unreachable' });
    expect(health.reasons[0]).toContain('S3 is not answering');
  });

  // Two apps or an upload each: under a loaded CI machine they need more than the default 30 s.
  it('browsers cannot read public URLs: public mode on a private bucket', { timeout: 90_000 }, async () => {
    testApp = await createTestApp({ s3: server, privateBucket: true, extraEnv: { HEALTHZ_TOKEN: TOKEN } });
    const member = await signUp(testApp.app, 'orb');
    const token = await csrfTokenFor(member, '/profile');
    const upload = await member
      .post('/profile/avatar')
      .field('_csrf', token)
      .attach('avatar', await makeImage('png', 300, 300, '#aa00aa'), 'me.png');
    expect(upload.status).toBe(303);
    const report = await testApp.storageHealth.refresh();
    expect(report.status).toBe('degraded');
    expect(report.storage.s3).toMatchObject({ reachable: true, problem: undefined });
    expect(report.storage).toMatchObject({ publicRead: 'blocked', delivery: { images: 'public', videos: 'public' } });
    expect(report.reasons.join('\n')).toMatch(
      /^Browsers cannot read public URLs: IMAGE_URL_MODE \/ VIDEO_URL_MODE is public, but an anonymous request for http:\/\/127\.0\.0\.1:\d+\/app-[0-9a-f]+\/avatars\/\S+ gets HTTP 403, so images show as broken\./m,
    );
  });

  it('names the delivery mode, and is ok on a working public bucket', { timeout: 90_000 }, async () => {
    const health = await healthOf({});
    expect(health.status).toBe('ok');
    expect(health.storage.s3).toMatchObject({ reachable: true });
    expect(health.storage.s3.problem).toBeUndefined();
    expect(health.storage.delivery).toEqual({ images: 'public', videos: 'public' });
    await testApp?.close();
    const signed = await healthOf({
      privateBucket: true,
      extraEnv: { IMAGE_URL_MODE: 'signed', VIDEO_URL_MODE: 'proxy' },
    });
    expect(signed.status).toBe('ok');
    expect(signed.storage).toMatchObject({ delivery: { images: 'signed', videos: 'proxy' }, publicRead: 'not-needed' });
  });
});
