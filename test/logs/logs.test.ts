/**
 * Logs an operator can trust: a request id on every line written while serving a request,
 * one line per stored upload (folder, bytes, location, duration), and credentials, cookies
 * and presigned signatures never written. (The run-wide scan in secretScan.ts checks the
 * logs of every test for the secrets actually used.)
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signUp, uploadAvatar } from '../support/browserlessMember.ts';
import { captureLogs } from '../support/captureLogs.ts';
import { makeImage } from '../support/imageFixtures.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';

const s3 = inject('s3');
const SIGNATURE = 'ab'.repeat(32);

describe('log lines', () => {
  const logs = captureLogs();
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ s3, logger: logs.logger });
  });
  afterAll(async () => testApp?.close());

  it('one line per stored upload with folder, bytes, location and duration, carrying the request id', async () => {
    const member = await signUp(testApp.app, 'logged');
    const response = await uploadAvatar(member, await makeImage('png', 100, 100), 'a.png', 'image/png');
    expect(response.status).toBe(303);
    const reqId = response.headers['x-request-id'];
    const uploads = logs.lines().filter((line) => line.msg === 'Upload stored');
    expect(uploads).toHaveLength(1);
    expect(uploads[0]).toMatchObject({
      reqId,
      folder: 'avatars',
      location: 's3',
      bytes: expect.any(Number),
      storedBytes: expect.any(Number),
      durationMs: expect.any(Number),
    });
    const linesOfRequest = logs.lines().filter((line) => line.reqId === reqId);
    expect(linesOfRequest.map((line) => line.msg)).toEqual(['Upload stored', 'request']);
  });

  it('redacts credentials, cookies and presigned signatures wherever they appear', () => {
    logs.logger.info({ config: { secretAccessKey: 'AWS-SECRET-XYZ', sessionSecret: 'SESSION-SECRET-XYZ' } }, 'config');
    logs.logger.info(
      { req: { headers: { cookie: 'vv.sid=COOKIE-XYZ', authorization: 'AWS4-HMAC-SHA256 AUTH-XYZ' } } },
      'headers',
    );
    logs.logger.warn(
      { url: `https://bucket.example/key?X-Amz-Credential=a&X-Amz-Signature=${SIGNATURE}` },
      `fetch failed for ...&X-Amz-Signature=${SIGNATURE}`,
    );
    logs.logger.info({ fields: { 'x-amz-signature': SIGNATURE } }, 'policy');
    const text = logs.text();
    for (const secret of ['AWS-SECRET-XYZ', 'SESSION-SECRET-XYZ', 'COOKIE-XYZ', 'AUTH-XYZ', SIGNATURE])
      expect(text).not.toContain(secret);
    expect(text).toContain('X-Amz-Signature=[redacted]');
  });
});
