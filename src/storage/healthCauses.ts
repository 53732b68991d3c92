/**
 * One sentence per reason /healthz gives for S3 trouble, naming the cause the health probe
 * itself found (not only what the last upload ran into) and the setting to change.
 */
import type { StorageErrorCode } from './contract.ts';

const KEPT_LOCALLY = 'new images are kept on local disk and moved to S3 once it is fixed';

export function s3ProblemSentence(code: StorageErrorCode, bucket: string | undefined): string {
  switch (code) {
    case 'Unreachable':
    case 'Timeout':
      return 'S3 is not answering; new images are stored on local disk and moved to S3 when it is back. Run `npm run storage:check` for the cause.';
    case 'InvalidCredentials':
      return `S3 rejects the credentials (InvalidCredentials): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; ${KEPT_LOCALLY}.`;
    case 'NoSuchBucket':
      return `Bucket${bucket ? ` "${bucket}"` : ''} does not exist at this endpoint (NoSuchBucket): check AWS_BUCKET_NAME and AWS_ENDPOINT_URL; ${KEPT_LOCALLY}.`;
    case 'WrongRegion':
      return `The bucket is not in the region the app signs for (WrongRegion): set AWS_REGION to the bucket's region; ${KEPT_LOCALLY}.`;
    case 'AccessDenied':
      return `S3 denies the app access to the bucket (AccessDenied): grant s3:ListBucket on the bucket and s3:GetObject, s3:PutObject, s3:DeleteObject on its objects (README policy); ${KEPT_LOCALLY}.`;
    default:
      return `S3 answers the health probe with an error (${code}); ${KEPT_LOCALLY}. Run \`npm run storage:check\` for the cause.`;
  }
}

export function publicReadBlockedSentence(url: string, status: number): string {
  return `Browsers cannot read public URLs: IMAGE_URL_MODE / VIDEO_URL_MODE is public, but an anonymous request for ${url} gets HTTP ${status}, so images show as broken. Allow public read of the bucket (\`npm run storage:check\` prints the policy), or set IMAGE_URL_MODE and VIDEO_URL_MODE to signed or proxy.`;
}
