/**
 * storage:check's diagnosis against a real S3 server (MinIO in CI, s3rver on a laptop with
 * only Node). Cases that need real authentication or policy enforcement run only on MinIO —
 * s3rver accepts any secret and serves every object anonymously — and say so in their names
 * when skipped. Faults no real server can be asked for (a wrong region, an endpoint that
 * never answers) come from tiny local servers that speak just enough HTTP.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { DeleteObjectCommand, ListObjectsV2Command, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
// STS is how MinIO hands out credentials with less than root's permissions; see credentialsAllowedOnly.
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, inject, it } from 'vitest';
import type { S3Settings } from '../../src/config.ts';
import { publicBaseUrlFor } from '../../src/storage/publicBaseUrl.ts';
import {
  diagnoseS3,
  type DiagnosisStep,
  type DiagnosisStepId,
  type S3Diagnosis,
} from '../../src/storage/diagnoseS3.ts';
import { policyJson, publicReadBucketPolicy } from '../../src/storage/diagnosis/policies.ts';
import { createS3Client, type S3ClientTimeouts } from '../../src/storage/s3Client.ts';
import { createBucket, makeS3Client } from '../support/s3Server.ts';
import { runStorageCheck } from '../support/storageCheckCli.ts';

const s3 = inject('s3');
const notMinio = s3.kind !== 'minio';

// Short limits keep every failure case to a few seconds; the CLI uses DEFAULT_S3_TIMEOUTS.
const TEST_TIMEOUTS: S3ClientTimeouts = { connectionTimeoutMs: 1_000, requestTimeoutMs: 1_500, maxAttempts: 2 };
const TEST_MS = 10_000;

type Credentials = NonNullable<S3Settings['credentials']> & { sessionToken?: string };

interface DiagnoseOverrides {
  endpoint?: string;
  credentials?: Credentials;
  /** A bucket browsers never read, like the backup bucket. */
  private?: boolean;
}

async function diagnose(bucket: string, overrides: DiagnoseOverrides = {}): Promise<S3Diagnosis> {
  const settings = {
    bucket,
    region: s3.region,
    endpoint: overrides.endpoint ?? s3.endpoint,
    forcePathStyle: true,
    // createS3Client hands this object to the SDK as is, so a session token rides along.
    credentials: overrides.credentials ?? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    cdnBaseUrl: undefined,
  };
  const client = createS3Client(settings, TEST_TIMEOUTS);
  try {
    return await diagnoseS3({
      client,
      bucket,
      publicBaseUrl: overrides.private ? undefined : publicBaseUrlFor(settings),
      publicReadTimeoutMs: 2_000,
    });
  } finally {
    client.destroy();
  }
}

function step(diagnosis: S3Diagnosis, id: DiagnosisStepId): DiagnosisStep {
  const found = diagnosis.steps.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no step ${id} in ${JSON.stringify(diagnosis.steps)}`);
  return found;
}

function outcomes(diagnosis: S3Diagnosis): Record<DiagnosisStepId, 'ok' | 'failed' | 'skipped'> {
  return Object.fromEntries(
    diagnosis.steps.map((s) => [s.id, s.ok ? 'ok' : s.skipped ? 'skipped' : 'failed']),
  ) as Record<DiagnosisStepId, 'ok' | 'failed' | 'skipped'>;
}

function newBucketName(): string {
  return `diag-${randomBytes(4).toString('hex')}`;
}

async function allowPublicRead(bucket: string): Promise<void> {
  const admin = makeS3Client(s3);
  try {
    await admin.send(
      new PutBucketPolicyCommand({ Bucket: bucket, Policy: policyJson(publicReadBucketPolicy(bucket)) }),
    );
  } finally {
    admin.destroy();
  }
}

/** A bucket browsers can read: the public-read policy on MinIO; s3rver serves everything anyway. */
async function createPublicBucket(): Promise<string> {
  const bucket = newBucketName();
  await createBucket(s3, bucket);
  if (s3.kind === 'minio') await allowPublicRead(bucket);
  return bucket;
}

async function keysIn(bucket: string): Promise<string[]> {
  const admin = makeS3Client(s3);
  try {
    const { Contents = [] } = await admin.send(new ListObjectsV2Command({ Bucket: bucket }));
    return Contents.map((object) => object.Key ?? '');
  } finally {
    admin.destroy();
  }
}

type S3Action = 's3:ListBucket' | 's3:PutObject' | 's3:GetObject' | 's3:DeleteObject';

/** Real credentials limited to `actions` on `bucket`: MinIO intersects root's rights with the session policy. */
async function credentialsAllowedOnly(bucket: string, actions: S3Action[]): Promise<Credentials> {
  const objectActions = actions.filter((action) => action !== 's3:ListBucket');
  const statements = [
    ...(objectActions.length > 0
      ? [{ Effect: 'Allow', Action: objectActions, Resource: [`arn:aws:s3:::${bucket}/*`] }]
      : []),
    ...(actions.includes('s3:ListBucket')
      ? [{ Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [`arn:aws:s3:::${bucket}`] }]
      : []),
  ];
  const sts = new STSClient({
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  try {
    const { Credentials: issued } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: 'arn:minio:iam:::role/storage-check-test',
        RoleSessionName: 'storage-check-test',
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
        DurationSeconds: 900,
      }),
    );
    if (!issued?.AccessKeyId || !issued.SecretAccessKey) throw new Error('MinIO issued no credentials');
    return {
      accessKeyId: issued.AccessKeyId,
      secretAccessKey: issued.SecretAccessKey,
      sessionToken: issued.SessionToken,
    };
  } finally {
    sts.destroy();
  }
}

/** Listens on a free port of 127.0.0.1 and returns the endpoint URL. */
async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('diagnoseS3 against the shared S3 server', () => {
  it('finds a healthy, publicly readable bucket usable and leaves nothing behind', { timeout: TEST_MS }, async () => {
    const bucket = await createPublicBucket();
    const diagnosis = await diagnose(bucket);

    expect(outcomes(diagnosis)).toEqual({ reach: 'ok', write: 'ok', read: 'ok', publicRead: 'ok', delete: 'ok' });
    expect(diagnosis.usable).toBe(true);
    expect(diagnosis.testKey).toMatch(/^avatars\/storage-check-[0-9a-f]+\.txt$/);
    expect(await keysIn(bucket)).toEqual([]);
  });

  it('checks a backup bucket without asking browsers to read it', { timeout: TEST_MS }, async () => {
    const bucket = newBucketName();
    await createBucket(s3, bucket);
    const diagnosis = await diagnose(bucket, { private: true });
    expect(outcomes(diagnosis)).toEqual({ reach: 'ok', write: 'ok', read: 'ok', publicRead: 'ok', delete: 'ok' });
    expect(step(diagnosis, 'publicRead').detail).toContain('Not needed');
    expect(await keysIn(bucket)).toEqual([]);
  });

  it('names a missing bucket and how to fix it, and tries nothing else', { timeout: TEST_MS }, async () => {
    const diagnosis = await diagnose(newBucketName());

    const reach = step(diagnosis, 'reach');
    expect(reach.ok).toBe(false);
    expect(reach.cause).toMatch(/does not exist/);
    expect(reach.fix).toMatch(/AWS_BUCKET_NAME/);
    expect(outcomes(diagnosis)).toMatchObject({
      write: 'skipped',
      read: 'skipped',
      publicRead: 'skipped',
      delete: 'skipped',
    });
    expect(diagnosis.usable).toBe(false);
  });

  it.skipIf(notMinio)(
    'tells a wrong secret key apart (MinIO only: s3rver accepts any secret)',
    { timeout: TEST_MS },
    async () => {
      const bucket = await createPublicBucket();
      const diagnosis = await diagnose(bucket, {
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: `${s3.secretAccessKey}-wrong` },
      });

      const reach = step(diagnosis, 'reach');
      expect(reach.detail).toMatch(/SignatureDoesNotMatch/);
      expect(reach.cause).toMatch(/secret key does not belong/);
      expect(reach.fix).toMatch(/AWS_SECRET_ACCESS_KEY/);
      expect(diagnosis.usable).toBe(false);
    },
  );

  it.skipIf(notMinio)(
    'tells an unknown access key id apart (MinIO only: s3rver accepts any key)',
    { timeout: TEST_MS },
    async () => {
      const bucket = await createPublicBucket();
      const diagnosis = await diagnose(bucket, {
        credentials: { accessKeyId: 'AKIANOSUCHKEY0000000', secretAccessKey: s3.secretAccessKey },
      });

      const reach = step(diagnosis, 'reach');
      expect(reach.detail).toMatch(/InvalidAccessKeyId/);
      expect(reach.fix).toMatch(/AWS_ACCESS_KEY_ID/);
    },
  );

  it.skipIf(notMinio)(
    'finds a private bucket unusable because browsers get 403, and its printed policy fixes it (MinIO only: s3rver ignores policies)',
    { timeout: TEST_MS },
    async () => {
      const bucket = newBucketName();
      await createBucket(s3, bucket);

      const blocked = await diagnose(bucket);
      expect(outcomes(blocked)).toEqual({ reach: 'ok', write: 'ok', read: 'ok', publicRead: 'failed', delete: 'ok' });
      const publicRead = step(blocked, 'publicRead');
      expect(publicRead.detail).toMatch(/HTTP 403/);
      expect(publicRead.cause).toMatch(/public read is blocked by the bucket policy \/ Block Public Access/i);
      expect(publicRead.fix).toContain('"Sid": "PublicReadGetObject"');
      expect(publicRead.fix).toContain(`"arn:aws:s3:::${bucket}/avatars/*"`);
      expect(publicRead.fix).toContain('CDN_BASE_URL');
      expect(blocked.usable).toBe(false);
      expect(await keysIn(bucket)).toEqual([]);

      await allowPublicRead(bucket);
      expect((await diagnose(bucket)).usable).toBe(true);
    },
  );
});

describe.skipIf(notMinio)('diagnoseS3 with least-privilege credentials (MinIO only: s3rver has no permissions)', () => {
  it('sees valid keys without s3:ListBucket, which the health check needs', { timeout: TEST_MS }, async () => {
    const bucket = await createPublicBucket();
    const credentials = await credentialsAllowedOnly(bucket, ['s3:PutObject', 's3:GetObject', 's3:DeleteObject']);
    const diagnosis = await diagnose(bucket, { credentials });

    expect(outcomes(diagnosis)).toEqual({ reach: 'failed', write: 'ok', read: 'ok', publicRead: 'ok', delete: 'ok' });
    const reach = step(diagnosis, 'reach');
    expect(reach.detail).toMatch(/keys themselves are valid/);
    expect(reach.cause).toMatch(/s3:ListBucket/);
    expect(reach.fix).toContain(`"Resource": "arn:aws:s3:::${bucket}"`);
    expect(diagnosis.usable).toBe(false);
  });

  it('reports no write permission with the policy to grant', { timeout: TEST_MS }, async () => {
    const bucket = await createPublicBucket();
    const credentials = await credentialsAllowedOnly(bucket, ['s3:ListBucket', 's3:GetObject', 's3:DeleteObject']);
    const diagnosis = await diagnose(bucket, { credentials });

    expect(outcomes(diagnosis)).toEqual({
      reach: 'ok',
      write: 'failed',
      read: 'skipped',
      publicRead: 'skipped',
      delete: 'skipped',
    });
    const write = step(diagnosis, 'write');
    expect(write.cause).toMatch(/^No write permission/);
    expect(write.fix).toContain('"s3:PutObject"');
    expect(write.fix).toContain(`"Resource": "arn:aws:s3:::${bucket}/*"`);
  });

  it('reports no delete permission and names the leftover object', { timeout: TEST_MS }, async () => {
    const bucket = await createPublicBucket();
    const credentials = await credentialsAllowedOnly(bucket, ['s3:ListBucket', 's3:PutObject', 's3:GetObject']);
    const diagnosis = await diagnose(bucket, { credentials });

    expect(outcomes(diagnosis)).toEqual({ reach: 'ok', write: 'ok', read: 'ok', publicRead: 'ok', delete: 'failed' });
    const deletion = step(diagnosis, 'delete');
    expect(deletion.cause).toMatch(/^No delete permission/);
    expect(deletion.fix).toContain(diagnosis.testKey);
    expect(await keysIn(bucket)).toEqual([diagnosis.testKey]);

    const admin = makeS3Client(s3);
    await admin
      .send(new DeleteObjectCommand({ Bucket: bucket, Key: diagnosis.testKey }))
      .finally(() => admin.destroy());
  });
});

describe('diagnoseS3 when the endpoint is wrong', () => {
  it('reports an unreachable endpoint within a few seconds', { timeout: TEST_MS }, async () => {
    const portHolder = createTcpServer();
    const closedEndpoint = await listen(portHolder);
    await close(portHolder);

    const started = Date.now();
    const diagnosis = await diagnose('any-bucket', { endpoint: closedEndpoint });

    expect(Date.now() - started).toBeLessThan(5_000);
    const reach = step(diagnosis, 'reach');
    expect(reach.detail).toMatch(/ECONNREFUSED/);
    expect(reach.cause).toMatch(/connection refused.*address or port is wrong, or the S3 server is down/);
    expect(reach.fix).toMatch(/AWS_ENDPOINT_URL/);
    expect(reach.fix).toMatch(/AWS_REGION/);
    expect(diagnosis.usable).toBe(false);
  });

  it('reports an endpoint that accepts connections but never answers, bounded by the timeouts', {
    timeout: TEST_MS,
  }, async () => {
    const sockets = new Set<Socket>();
    const silent = createTcpServer((socket) => sockets.add(socket));
    const endpoint = await listen(silent);
    try {
      const started = Date.now();
      const diagnosis = await diagnose('any-bucket', { endpoint });

      expect(Date.now() - started).toBeLessThan(8_000);
      expect(step(diagnosis, 'reach').cause).toMatch(/did not answer within the client's time limits/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await close(silent);
    }
  });

  it("names the region to set when S3 redirects to the bucket's region", { timeout: TEST_MS }, async () => {
    // What AWS answers a HeadBucket signed for the wrong region: 301, no body, the real region in a header.
    const redirecting = createHttpServer((_request, response) => {
      response.writeHead(301, { 'x-amz-bucket-region': 'eu-west-1', 'x-amz-request-id': 'TEST' }).end();
    });
    const endpoint = await listen(redirecting);
    try {
      const diagnosis = await diagnose('eu-bucket', { endpoint });

      const reach = step(diagnosis, 'reach');
      expect(reach.cause).toContain(`is in region eu-west-1, but the app signs its requests for ${s3.region}`);
      expect(reach.fix).toBe('Set AWS_REGION=eu-west-1.');
    } finally {
      redirecting.closeAllConnections();
      await close(redirecting);
    }
  });
});

describe('npm run storage:check', () => {
  // Starting a Node process that loads the AWS SDK takes a second or two on its own.
  it('#16 names the cause and the fix, exits 1 and never prints the secret key', { timeout: 30_000 }, async () => {
    const bucket = newBucketName();
    const { exitCode, output } = await runStorageCheck(s3, bucket);

    expect(output).toContain(`✗ 1. Reach the bucket`);
    expect(output).toContain(`Bucket "${bucket}" does not exist at this endpoint.`);
    expect(output).toMatch(/S3 is not usable as configured/);
    expect(output).not.toContain(s3.secretAccessKey);
    expect(output).not.toContain(s3.accessKeyId);
    expect(exitCode).toBe(1);
  });
});
