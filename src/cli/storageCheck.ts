/**
 * `npm run storage:check`: tells an operator whether image storage works as configured and,
 * if not, why and what to change. Exits 0 when images can be stored and shown in browsers,
 * 1 otherwise (or when the configuration itself is invalid), so a deploy script can gate on it.
 * Never prints the secret key: the access key id appears masked, and any output that somehow
 * contained the secret is redacted before it is written.
 */
import 'dotenv/config';
import {
  ConfigError,
  loadConfig,
  type BackupBucketSettings,
  type AppConfig,
  type MediaDeliverySettings,
  type S3Settings,
} from '../config.ts';
import { publicBaseUrlFor } from '../storage/publicBaseUrl.ts';
import { diagnoseS3 } from '../storage/diagnoseS3.ts';
import { formatSteps, verdict } from './diagnosisReport.ts';
import { createS3Client, s3TimeoutsFor } from '../storage/s3Client.ts';
import { checkDirectUploadCors } from '../storage/diagnosis/corsCheck.ts';
import { namingBackupSettings } from '../storage/diagnosis/settingNames.ts';
import { randomBytes } from 'node:crypto';
import { bucketBaseUrlFor, multipartUploadsFor, urlSignerFor } from '../storage/storageFromConfig.ts';
import { parseCliArgs } from './parseCliArgs.ts';

const CLI = {
  name: 'storage:check',
  summary:
    'Tells whether image storage works as configured and, if not, why and what to change. Exits 0 when images can be stored and shown in browsers, 1 otherwise.',
  options: {},
  optionHelp: [],
} as const;

async function main(): Promise<number> {
  const parsed = parseCliArgs(CLI);
  if ('exitCode' in parsed) return parsed.exitCode;
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error('The configuration is invalid; fix these environment variables and run again:');
    for (const problem of error.problems) console.error(`  - ${problem}`);
    return 1;
  }

  if (config.s3 === undefined) {
    console.log(describeLocalStorage(config.localStorageDir));
    return 0;
  }

  const settings = config.s3;
  const publicBaseUrl = publicBaseUrlFor(settings);
  const print = (lines: string[]): void =>
    console.log(redactSecret(lines.join('\n'), settings.credentials?.secretAccessKey));
  // The settings first: against a silent endpoint the steps can take the client's full timeouts.
  const delivery = config.mediaDelivery;
  print([...describeS3Settings(settings, publicBaseUrl, delivery), '']);
  // The app's own idea of slow (S3_SLOW_MS): a check that passes here passes for uploads.
  const client = createS3Client(settings, s3TimeoutsFor(config.s3SlowAfterMs));
  let usable: boolean;
  let bucketWorks = false;
  try {
    const diagnosis = await diagnoseS3({
      client,
      bucket: settings.bucket,
      publicBaseUrl,
      urlModes: { images: delivery.imageUrlMode, videos: delivery.videoUrlMode },
      // The very signer pages use, so a passing check means page links load.
      signUrl: urlSignerFor(settings, delivery.signedUrlWindowMinutes),
    });
    const advice = diagnosis.modeAdvice ? ['', `URL mode: ${diagnosis.modeAdvice}`] : [];
    print([
      ...formatSteps(diagnosis.steps),
      ...advice,
      '',
      verdict(diagnosis, settings, browserSource(settings, publicBaseUrl, delivery)),
    ]);
    usable = diagnosis.usable;
    bucketWorks = ['reach', 'write'].every((id) => diagnosis.steps.find((step) => step.id === id)?.ok);
  } finally {
    client.destroy();
  }
  if (settings.backup) usable = (await checkBackupBucket(settings.backup, print)) && usable;
  // A CORS verdict means nothing while the bucket cannot be reached or written: "✓ will work"
  // would be false, and an unreachable endpoint answers no preflight — not a missing CORS rule.
  print([
    '',
    bucketWorks
      ? await describeCors(config.appOrigin, settings)
      : '- Direct uploads — not checked: the bucket failed the steps above; fix those first, then run `npm run storage:check` again.',
  ]);
  return usable ? 0 : 1;
}

/**
 * Direct uploads are an optimisation: a CORS problem is reported, but does not fail the check.
 * With static keys a throwaway multipart upload under incoming/ receives one real part PUT,
 * as a browser would send it, so the check can see whether ETag is exposed; it is aborted after.
 */
async function describeCors(appOrigin: string | undefined, settings: S3Settings): Promise<string> {
  if (!appOrigin) {
    return "- Direct uploads: set APP_ORIGIN (e.g. https://videovote.onrender.com; Render sets RENDER_EXTERNAL_URL) to check the bucket's CORS rule for browser uploads.";
  }
  const bucketUrl = bucketBaseUrlFor(settings);
  const video = multipartUploadsFor(settings);
  const key = `incoming/storage-check-${randomBytes(8).toString('hex')}`;
  const body = 'storage:check CORS probe';
  const uploadId = video
    ? await video.multipart.create(key, 'application/octet-stream').catch(() => undefined)
    : undefined;
  let cors: Awaited<ReturnType<typeof checkDirectUploadCors>>;
  try {
    const signedPut =
      video && uploadId
        ? { url: video.signPart({ key, uploadId, partNumber: 1, contentLength: Buffer.byteLength(body) }), body }
        : undefined;
    cors = await checkDirectUploadCors({ bucketUrl, appOrigin, signedPut });
  } finally {
    if (video && uploadId) await video.multipart.abort(key, uploadId).catch(() => undefined);
  }
  return cors.ok
    ? `✓ Direct uploads: ${cors.detail}`
    : `✗ Direct uploads: ${cors.detail}\n  Fix: ${cors.fix?.split('\n').join('\n       ')}`;
}

/** The backup bucket needs the same reach, write, read and delete — but never public read. */
async function checkBackupBucket(backup: BackupBucketSettings, print: (lines: string[]) => void): Promise<boolean> {
  print([
    '',
    `Backup bucket (AWS_BACKUP_BUCKET_NAME): ${backup.bucket} in ${backup.region} at ${backup.endpoint ?? 'AWS'}`,
    '',
  ]);
  const client = createS3Client(backup);
  try {
    const diagnosis = await diagnoseS3({ client, bucket: backup.bucket, publicBaseUrl: undefined });
    print([
      ...formatSteps(namingBackupSettings(diagnosis.steps)),
      '',
      diagnosis.usable
        ? `✓ The backup bucket "${backup.bucket}" is usable: every object gets a verified copy there.`
        : `✗ The backup bucket "${backup.bucket}" is not usable: copies wait in the outbox (see /healthz "backup") until the fix above is applied.`,
    ]);
    return diagnosis.usable;
  } finally {
    client.destroy();
  }
}

function describeLocalStorage(localStorageDir: string): string {
  return [
    `Images are stored on local disk, under ${localStorageDir} (LOCAL_STORAGE_DIR), and served by the app itself.`,
    'S3 is off because USE_CLOUD_STORAGE is not true. To store images in S3 or an S3-compatible service, set:',
    '  USE_CLOUD_STORAGE=true',
    '  AWS_BUCKET_NAME=<bucket>',
    "  AWS_REGION=<the bucket's region, e.g. eu-west-1>",
    '  AWS_ACCESS_KEY_ID=<key id> and AWS_SECRET_ACCESS_KEY=<secret>  (or leave both unset to use an IAM role)',
    '  AWS_ENDPOINT_URL=<https://...>  only for MinIO, Cloudflare R2, Backblaze B2, DigitalOcean Spaces and the like',
    '  CDN_BASE_URL=<https://...>      optional: load images through a CDN',
    '  IMAGE_URL_MODE=public|signed|proxy  optional: how browsers reach a bucket (signed or proxy keep it private)',
    'then run `npm run storage:check` again to verify the setup.',
  ].join('\n');
}

/** Where browsers load S3 files from, in words, for the settings and the verdict. */
function browserSource(settings: S3Settings, publicBaseUrl: string, delivery: MediaDeliverySettings): string {
  const sourceOf = (mode: MediaDeliverySettings['imageUrlMode']): string => {
    if (mode === 'proxy') return 'the app itself (/media/...)';
    if (mode === 'signed')
      return `signed URLs of ${bucketBaseUrlFor(settings)}/... (valid ${2 * delivery.signedUrlWindowMinutes} min, renewed every ${delivery.signedUrlWindowMinutes} min)`;
    return `${publicBaseUrl}/...${settings.cdnBaseUrl ? ' (CDN_BASE_URL)' : ''}`;
  };
  if (delivery.imageUrlMode === delivery.videoUrlMode) return sourceOf(delivery.imageUrlMode);
  return `${sourceOf(delivery.imageUrlMode)} for images, ${sourceOf(delivery.videoUrlMode)} for videos`;
}

function describeS3Settings(settings: S3Settings, publicBaseUrl: string, delivery: MediaDeliverySettings): string[] {
  const endpoint = settings.endpoint ?? 'Amazon S3';
  const addressing = settings.forcePathStyle ? 'path-style' : 'virtual-hosted';
  const credentials = settings.credentials
    ? `access key ${maskAccessKeyId(settings.credentials.accessKeyId)} from AWS_ACCESS_KEY_ID (secret not shown)`
    : 'none in the environment: the SDK looks for an IAM role or AWS profile';
  return [
    'VideoVote storage check (S3)',
    `  Bucket:       ${settings.bucket}`,
    `  Endpoint:     ${endpoint} (${addressing} URLs)`,
    `  Region:       ${settings.region}`,
    `  Credentials:  ${credentials}`,
    `  URL modes:    images ${delivery.imageUrlMode} (IMAGE_URL_MODE), videos ${delivery.videoUrlMode} (VIDEO_URL_MODE)`,
    `  Image URLs:   ${browserSource(settings, publicBaseUrl, delivery)}`,
    ...(settings.cdnBaseUrl && (delivery.imageUrlMode !== 'public' || delivery.videoUrlMode !== 'public')
      ? [
          '  Note:         CDN_BASE_URL is used in public mode only; signed URLs point at the bucket, and in proxy mode the CDN goes in front of the app.',
        ]
      : []),
  ];
}

/** Enough of the key id to tell which key is in use (AKIA…XYZ1), too little to matter if leaked. */
function maskAccessKeyId(accessKeyId: string): string {
  if (accessKeyId.length < 12) return `${accessKeyId.slice(0, 2)}…`;
  return `${accessKeyId.slice(0, 4)}…${accessKeyId.slice(-4)}`;
}

// Belt and braces: no message we build contains the secret, but an S3 server's error text could.
function redactSecret(text: string, secret: string | undefined): string {
  if (secret === undefined || secret.length < 8) return text;
  return text.split(secret).join('[redacted]');
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error('storage:check failed unexpectedly:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
