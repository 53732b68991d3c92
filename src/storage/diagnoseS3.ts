/**
 * The diagnosis behind `npm run storage:check`: walks the path every image takes — reach the
 * bucket, write, read back, load it as a browser does (anonymously, and through a signed URL
 * in signed mode), delete — and reports each step with the cause and the fix of any failure,
 * plus which URL mode (public, signed, proxy) fits the bucket, so an operator fixes a setup
 * in one round.
 *
 * It talks to S3 through the raw client rather than the adapter, because the adapter folds
 * errors into StorageError codes and the diagnosis needs each request's own answer (which
 * permission, which region). The client is injected, so tests point it at any server; every
 * request is bounded by that client's timeouts and retries.
 */
import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Adapter } from './adapters/s3.ts';
import { factsAbout, type FailureContext } from './diagnosis/explainS3Failure.ts';
import { checkDelivery, type AnonymousRead, type DeliveryModes } from './diagnosis/deliveryCheck.ts';
import { checkReach, configuredRegionOf } from './diagnosis/reachCheck.ts';
import { failed, failedRequest, passed, skipped, STEP_NAMES, type DiagnosisStep } from './diagnosis/steps.ts';

// Callers (storage:check, the tests) know this module only; the step shape lives with the steps.
export { STEP_NAMES, type DiagnosisStep, type DiagnosisStepId } from './diagnosis/steps.ts';
export type { AnonymousRead, DeliveryModes } from './diagnosis/deliveryCheck.ts';

export interface S3Diagnosis {
  /** Always all five steps, in order. */
  steps: DiagnosisStep[];
  /** True only when every step passed: images can be stored, shown in browsers and removed. */
  usable: boolean;
  /** The test object's key, so an operator can remove it by hand if the delete failed. */
  testKey: string;
  /** Whether anonymous GETs of the public URL work; undefined when not tried (no test object, or a bucket browsers never read). */
  anonymousRead?: AnonymousRead;
  /** Which URL mode fits the bucket as found, and what to change if the configured one does not. */
  modeAdvice?: string;
}

export interface DiagnoseS3Options {
  client: S3Client;
  bucket: string;
  /** Where browsers load objects from (publicBaseUrlFor in adapters/s3.ts); undefined for a bucket browsers never read (the backup). */
  publicBaseUrl: string | undefined;
  /** Anonymous HTTP client for the public-read step; the global fetch by default. */
  fetch?: typeof globalThis.fetch;
  /** Bound on the public-read request, which the S3 client's timeouts do not cover. */
  publicReadTimeoutMs?: number;
  /** How pages link to files (IMAGE_URL_MODE / VIDEO_URL_MODE); public for both by default. */
  urlModes?: DeliveryModes;
  /** Presigns a GET URL with the same code that signs page links; needed when a mode is signed. */
  signUrl?: (key: string) => string;
}

/** Runs every step it can and never throws: each failure, expected or not, becomes a step. */
export async function diagnoseS3(options: DiagnoseS3Options): Promise<S3Diagnosis> {
  const { client, bucket, publicBaseUrl } = options;
  // Under an image folder, so the public-read check exercises the same policy images rely on.
  const key = `avatars/storage-check-${randomBytes(8).toString('hex')}.txt`;
  const body = Buffer.from(`VideoVote storage check, safe to delete. ${key}\n`);
  const context: FailureContext = { bucket, configuredRegion: await configuredRegionOf(client) };

  let written = false;
  const writeTestObject = async (): Promise<void> => {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: 'text/plain; charset=utf-8',
        // A CDN must not keep serving the test object after it is deleted.
        CacheControl: 'no-store',
      }),
    );
    written = true;
  };

  const steps: DiagnosisStep[] = [];
  let delivery: Pick<S3Diagnosis, 'anonymousRead' | 'modeAdvice'> = {};
  try {
    const reach = await checkReach(client, context, writeTestObject);
    steps.push(reach.step);
    if (!reach.credentialsWork) {
      steps.push(skipped('write', 'step 1 failed'));
    } else {
      steps.push(await checkWrite(writeTestObject, key, body.length, context));
    }
    if (!written) {
      steps.push(skipped('read', 'no test object was written'));
      steps.push(skipped('publicRead', 'no test object was written'));
    } else {
      steps.push(await checkRead(client, key, body, context));
    }
    if (written && publicBaseUrl === undefined) {
      steps.push(passed('publicRead', 'Not needed: browsers never load images from this bucket.'));
    } else if (written && publicBaseUrl !== undefined) {
      const modes = options.urlModes ?? { images: 'public', videos: 'public' };
      const outcome = await checkDelivery({
        modes,
        publicUrl: createS3Adapter({ client, bucket, publicBaseUrl }).urlFor(key),
        publicBaseUrl,
        signedUrl: modes.images === 'signed' || modes.videos === 'signed' ? options.signUrl?.(key) : undefined,
        expected: body,
        bucket,
        fetch: options.fetch ?? globalThis.fetch,
        timeoutMs: options.publicReadTimeoutMs ?? 10_000,
      });
      const { anonymousRead, advice, ...step } = outcome;
      steps.push({ id: 'publicRead', name: STEP_NAMES.publicRead, ...step });
      delivery = { anonymousRead, modeAdvice: advice };
    }
  } finally {
    // Cleanup runs even if a step above has a bug, so a check never leaves litter behind.
    steps.push(written ? await deleteTestObject(client, key, context) : skipped('delete', 'nothing to delete'));
  }
  return { steps, usable: steps.every((step) => step.ok), testKey: key, ...delivery };
}

async function checkWrite(
  writeTestObject: () => Promise<void>,
  key: string,
  size: number,
  context: FailureContext,
): Promise<DiagnosisStep> {
  try {
    await writeTestObject();
    return passed('write', `PutObject stored ${key} (${size} bytes).`);
  } catch (error) {
    return failedRequest('write', `PutObject of ${key}`, error, 's3:PutObject', context);
  }
}

async function checkRead(
  client: S3Client,
  key: string,
  written: Buffer,
  context: FailureContext,
): Promise<DiagnosisStep> {
  let stored: Buffer;
  try {
    const result = await client.send(new GetObjectCommand({ Bucket: context.bucket, Key: key }));
    // Reading the body to the end also returns its socket to the pool.
    stored = Buffer.from((await result.Body?.transformToByteArray()) ?? []);
  } catch (error) {
    const facts = factsAbout(error);
    if (facts.code === 'NotFound') {
      return failed('read', `GetObject of ${key} failed: ${facts.summary}.`, {
        cause:
          'S3 accepted the write but does not return the object: the endpoint is several servers that do not share data, or a lifecycle rule removes new objects at once.',
        fix: "Point AWS_ENDPOINT_URL at a single consistent S3 service (for MinIO, a cluster rather than separate nodes behind a load balancer) and check the bucket's lifecycle rules.",
      });
    }
    return failedRequest('read', `GetObject of ${key}`, error, 's3:GetObject', context);
  }
  if (!stored.equals(written)) {
    return failed(
      'read',
      `GetObject of ${key} returned ${stored.length} bytes; ${written.length} were written, and they differ.`,
      {
        cause:
          "S3 stores something other than what the app sends: S3-compatible servers that do not understand the SDK's checksum trailers save them inside the object, and some proxies rewrite request bodies.",
        fix: 'For any service other than AWS itself, set AWS_ENDPOINT_URL (the app then sends checksums only when required); otherwise upgrade the S3 server or remove the proxy in between.',
      },
    );
  }
  return passed('read', `GetObject of ${key} returned the same ${stored.length} bytes.`);
}

async function deleteTestObject(client: S3Client, key: string, context: FailureContext): Promise<DiagnosisStep> {
  try {
    await client.send(new DeleteObjectCommand({ Bucket: context.bucket, Key: key }));
    return passed('delete', `DeleteObject removed ${key}.`);
  } catch (error) {
    const step = failedRequest('delete', `DeleteObject of ${key}`, error, 's3:DeleteObject', context);
    return {
      ...step,
      fix: `${step.fix ?? ''}\nThen delete the leftover test object "${key}" from bucket "${context.bucket}" by hand.`,
    };
  }
}
