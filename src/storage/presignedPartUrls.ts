/**
 * Presigned UploadPart URLs for browser-to-S3 multipart uploads (SigV4 query signing with
 * node:crypto, like signedUrls.ts). Each URL is good for one PUT of one part of one upload:
 * the method, the key, `partNumber` and `uploadId` are in the signature, and so is the
 * `content-length` header — a presigned PUT cannot carry a size range the way a POST policy
 * does, but S3 refuses (403 SignatureDoesNotMatch) a body whose length differs from the signed
 * one, so no part can be larger than the app planned (verified against MinIO).
 *
 * Kept instead of @aws-sdk/s3-request-presigner's getSignedUrl(UploadPartCommand), measured in
 * bench/presigners.ts: AWS's took 500–745 µs per URL against 33–38 µs here (15–20×), and one
 * request asks for up to 100 part URLs (~50–75 ms of the event loop against ~4 ms). With the
 * SDK's default checksum setting it also signs x-amz-checksum-crc32 of an empty body into every
 * URL, which a real part then fails; content-length is signed by both.
 */
import { createHmac, hash } from 'node:crypto';
import { encodeRfc3986 } from './signedUrls.ts';
import { signingKey } from './sigv4.ts';

export interface PartUrlSignerOptions {
  /** The bucket's own base URL, no trailing slash: https://host/bucket (path-style) or https://bucket.host. */
  bucketBaseUrl: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  expiresSeconds: number;
  /** The clock; injected by tests. */
  now?: () => Date;
}

export interface PartToSign {
  key: string;
  uploadId: string;
  partNumber: number;
  /** The exact byte length the browser must send. */
  contentLength: number;
}

/** Returns the presigned PUT URL for one part. Pure string work: no I/O. */
export type PartUrlSigner = (part: PartToSign) => string;

const ALGORITHM = 'AWS4-HMAC-SHA256';

export function createPartUrlSigner(options: PartUrlSignerOptions): PartUrlSigner {
  const base = new URL(options.bucketBaseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const now = options.now ?? (() => new Date());
  return function signPartUrl({ key, uploadId, partNumber, contentLength }: PartToSign): string {
    const amzDate = now()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const date = amzDate.slice(0, 8);
    const scope = `${date}/${options.region}/s3/aws4_request`;
    const params: Record<string, string> = {
      'X-Amz-Algorithm': ALGORITHM,
      'X-Amz-Credential': `${options.credentials.accessKeyId}/${scope}`,
      'X-Amz-Date': amzDate,
      'X-Amz-Expires': String(options.expiresSeconds),
      ...(options.credentials.sessionToken && { 'X-Amz-Security-Token': options.credentials.sessionToken }),
      'X-Amz-SignedHeaders': 'content-length;host',
      partNumber: String(partNumber),
      uploadId,
    };
    // The canonical query string is sorted by encoded name (uppercase sorts before lowercase).
    const query = Object.keys(params)
      .sort()
      .map((name) => `${encodeRfc3986(name)}=${encodeRfc3986(params[name]!)}`)
      .join('&');
    const path = `${basePath}/${key.split('/').map(encodeRfc3986).join('/')}`;
    const canonicalRequest = `PUT\n${path}\n${query}\ncontent-length:${contentLength}\nhost:${base.host}\n\ncontent-length;host\nUNSIGNED-PAYLOAD`;
    const stringToSign = `${ALGORITHM}\n${amzDate}\n${scope}\n${hash('sha256', canonicalRequest, 'hex')}`;
    const signature = createHmac('sha256', signingKey(options.credentials.secretAccessKey, date, options.region))
      .update(stringToSign, 'utf8')
      .digest('hex');
    return `${base.origin}${path}?${query}&X-Amz-Signature=${signature}`;
  };
}
