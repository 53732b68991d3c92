/** The S3 part of the configuration: the seed's AWS_* variables, the endpoint, the backup bucket. */
import type { EnvReaders } from './envReaders.ts';

export interface S3Settings {
  bucket: string;
  region: string;
  /** Set for S3-compatible servers (MinIO, R2, B2, Spaces); undefined for AWS itself. */
  endpoint: string | undefined;
  forcePathStyle: boolean;
  /** Undefined means "let the SDK's default chain find credentials" (e.g. an IAM role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  cdnBaseUrl: string | undefined;
  /** A second bucket (often in another region) that receives a verified copy of every object. */
  backup: BackupBucketSettings | undefined;
}

export interface BackupBucketSettings {
  bucket: string;
  region: string;
  endpoint: string | undefined;
  forcePathStyle: boolean;
  credentials: S3Settings['credentials'];
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function readS3Settings({ read, flag, httpUrl }: EnvReaders, problems: string[]): S3Settings {
  const bucket = read('AWS_BUCKET_NAME');
  if (bucket === undefined) {
    problems.push('AWS_BUCKET_NAME is required when USE_CLOUD_STORAGE is true');
  } else if (!BUCKET_NAME.test(bucket)) {
    problems.push(
      `AWS_BUCKET_NAME "${bucket}" is not a valid bucket name (3-63 lowercase letters, digits, dots, hyphens)`,
    );
  }
  const accessKeyId = read('AWS_ACCESS_KEY_ID');
  const secretAccessKey = read('AWS_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    problems.push(
      'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together (or both left unset to use an IAM role)',
    );
  }
  const endpoint = httpUrl('AWS_ENDPOINT_URL', false) ?? httpUrl('AWS_ENDPOINT_URL_S3', false);
  const credentials =
    accessKeyId !== undefined && secretAccessKey !== undefined ? { accessKeyId, secretAccessKey } : undefined;
  const backupBucket = read('AWS_BACKUP_BUCKET_NAME');
  if (backupBucket !== undefined && !BUCKET_NAME.test(backupBucket)) {
    problems.push(
      `AWS_BACKUP_BUCKET_NAME "${backupBucket}" is not a valid bucket name (3-63 lowercase letters, digits, dots, hyphens)`,
    );
  }
  const backupEndpoint = httpUrl('AWS_BACKUP_ENDPOINT_URL', false) ?? endpoint;
  const backup =
    backupBucket === undefined
      ? undefined
      : {
          bucket: backupBucket,
          region: read('AWS_BACKUP_REGION') ?? read('AWS_REGION') ?? 'us-east-1',
          endpoint: backupEndpoint,
          forcePathStyle: flag('AWS_S3_FORCE_PATH_STYLE', backupEndpoint !== undefined),
          credentials,
        };
  if (backupBucket !== undefined && backupBucket === bucket && backupEndpoint === endpoint) {
    problems.push('AWS_BACKUP_BUCKET_NAME must name a different bucket (or endpoint) than AWS_BUCKET_NAME');
  }
  return {
    bucket: bucket ?? '',
    region: read('AWS_REGION') ?? 'us-east-1',
    endpoint,
    // Most S3-compatible servers (MinIO in particular) only speak path-style out of the box.
    forcePathStyle: flag('AWS_S3_FORCE_PATH_STYLE', endpoint !== undefined),
    credentials,
    cdnBaseUrl: httpUrl('CDN_BASE_URL', false),
    backup,
  };
}
