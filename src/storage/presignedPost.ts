/**
 * A browser-to-S3 upload form, signed here (SigV4 POST policy). Unlike a presigned PUT, the
 * policy lets S3 itself enforce what the app allows: this exact key, a size range, this exact
 * Content-Type, and a short expiry — a client cannot stretch any of them.
 * See https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
 */
import { hmacSha256, signingKey } from './sigv4.ts';

export interface PostCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface PresignedPostRequest {
  /** The bucket's own URL (path-style `endpoint/bucket` or `https://bucket.s3.region.amazonaws.com`), never a CDN. */
  bucketUrl: string;
  bucket: string;
  region: string;
  credentials: PostCredentials;
  key: string;
  contentType: string;
  maxBytes: number;
  expiresSeconds: number;
  now?: Date;
}

export interface PresignedPost {
  url: string;
  /** Form fields to send before the file, in this order. */
  fields: Record<string, string>;
  expiresAt: Date;
}

export function createPresignedPost(request: PresignedPostRequest): PresignedPost {
  const now = request.now ?? new Date();
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const credential = `${request.credentials.accessKeyId}/${date}/${request.region}/s3/aws4_request`;
  const expiresAt = new Date(now.getTime() + request.expiresSeconds * 1000);
  const signed: Record<string, string> = {
    'x-amz-algorithm': 'AWS4-HMAC-SHA256',
    'x-amz-credential': credential,
    'x-amz-date': amzDate,
    ...(request.credentials.sessionToken && { 'x-amz-security-token': request.credentials.sessionToken }),
  };
  const policy = {
    expiration: expiresAt.toISOString(),
    conditions: [
      { bucket: request.bucket },
      { key: request.key },
      { 'Content-Type': request.contentType },
      ['content-length-range', 1, request.maxBytes],
      ...Object.entries(signed).map(([name, value]) => ({ [name]: value })),
    ],
  };
  const encodedPolicy = Buffer.from(JSON.stringify(policy)).toString('base64');
  const signature = hmacSha256(
    signingKey(request.credentials.secretAccessKey, date, request.region),
    encodedPolicy,
  ).toString('hex');
  return {
    url: request.bucketUrl,
    fields: {
      key: request.key,
      'Content-Type': request.contentType,
      ...signed,
      policy: encodedPolicy,
      'x-amz-signature': signature,
    },
    expiresAt,
  };
}
