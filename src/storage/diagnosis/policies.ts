/**
 * The two policies an operator most often needs, with the bucket name filled in, so
 * storage:check can print JSON that pastes straight into the AWS console.
 */
import { MEDIA_FOLDERS } from '../keys.ts';

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Array<Record<string, unknown>>;
}

/** The IAM policy the app needs and nothing more (see S3-NOTES.md): attach it to the app's user or role. */
export function leastPrivilegeIamPolicy(bucket: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        // AbortMultipartUpload lets a failed large upload clean up its parts at once.
        Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        Resource: `arn:aws:s3:::${bucket}/*`,
      },
      // HeadBucket, which the app uses to tell whether S3 is up, is authorised by ListBucket;
      // ListBucketMultipartUploads lets storage:gc find abandoned browser video uploads.
      {
        Effect: 'Allow',
        Action: ['s3:ListBucket', 's3:ListBucketMultipartUploads'],
        Resource: `arn:aws:s3:::${bucket}`,
      },
    ],
  };
}

/**
 * The seed's bucket policy that lets browsers read objects (never list or write them),
 * narrowed to the folders the app stores in, so anything else in the bucket stays private —
 * or to fewer folders, e.g. without uploads/ when VIDEO_URL_MODE keeps videos private.
 */
export function publicReadBucketPolicy(bucket: string, folders: readonly string[] = MEDIA_FOLDERS): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PublicReadGetObject',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: folders.map((folder) => `arn:aws:s3:::${bucket}/${folder}/*`),
      },
    ],
  };
}

export function policyJson(policy: PolicyDocument): string {
  return JSON.stringify(policy, null, 2);
}
