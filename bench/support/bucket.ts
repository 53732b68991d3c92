/**
 * The benchmark's bucket: created with the public-read policy operators are told to set
 * (MinIO enforces policies; s3rver ignores them), and afterwards listed to see how many bytes
 * the app actually stored.
 */
import { ListObjectsV2Command, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { publicReadPolicy } from '../../test/support/bucketPolicy.ts';
import { createBucket, makeS3Client, type S3Connection } from '../../test/support/s3Server.ts';

export async function createPublicBucket(server: S3Connection, bucket: string): Promise<void> {
  await createBucket(server, bucket);
  if (server.kind !== 'minio') return;
  const admin = makeS3Client(server);
  try {
    await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicReadPolicy(bucket) }));
  } finally {
    admin.destroy();
  }
}

export interface BucketContents {
  objects: number;
  bytes: number;
}

/** Every object in the bucket (ListObjectsV2, all pages), counted and summed. */
export async function listBucket(server: S3Connection, bucket: string): Promise<BucketContents> {
  const admin = makeS3Client(server);
  const contents: BucketContents = { objects: 0, bytes: 0 };
  try {
    let token: string | undefined;
    do {
      const page = await admin.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        contents.objects += 1;
        contents.bytes += object.Size ?? 0;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } finally {
    admin.destroy();
  }
  return contents;
}
