/** The S3 client every competing script builds from the same variables the app reads, so all sides talk to one server alike. */
import { S3Client } from '@aws-sdk/client-s3';

export const bucket = process.env.AWS_BUCKET_NAME ?? 'missing-bucket';

export function s3ClientFromEnv(): S3Client {
  return new S3Client({
    region: process.env.AWS_REGION ?? 'us-east-1',
    endpoint: process.env.AWS_ENDPOINT_URL,
    forcePathStyle: true,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    },
  });
}
