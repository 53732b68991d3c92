/**
 * The diagnosis step that loads the test object the way a browser will: anonymously, from
 * the URL pages use. S3 accepting the app's signed requests says nothing about whether
 * visitors can see the images — new AWS buckets block public access by default.
 */
import { policyJson, publicReadBucketPolicy } from './policies.ts';

export interface PublicReadOutcome {
  ok: boolean;
  detail: string;
  cause?: string;
  fix?: string;
}

export interface PublicReadCheckOptions {
  /** The object's public URL, exactly as pages will render it. */
  url: string;
  /** Where browsers load every image from, named in the fix. */
  publicBaseUrl: string;
  /** The bytes that were written, to catch a proxy answering 200 with some other page. */
  expected: Buffer;
  bucket: string;
  fetch: typeof globalThis.fetch;
  /** The S3 client's timeouts do not cover this request, so it carries its own. */
  timeoutMs: number;
  /** The folders browsers load anonymously (public URL mode), for the policy in the fix; every app folder by default. */
  publicFolders?: readonly string[];
}

/** Never throws: a network failure is an outcome like any other. */
export async function checkPublicRead(options: PublicReadCheckOptions): Promise<PublicReadOutcome> {
  const { url, expected, bucket, timeoutMs } = options;
  let response: Response;
  try {
    // No credentials, no cookies: exactly what an <img> tag on another visitor's screen sends.
    response = await options.fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (error) {
    const reason = networkReason(error, timeoutMs);
    return {
      ok: false,
      detail: `Fetching ${url} without credentials failed: ${reason}.`,
      cause: `This machine cannot load the public image URL (${reason}); browsers would fail the same way, or worse if the host is internal.`,
      fix: `Make sure CDN_BASE_URL (or, without a CDN, AWS_ENDPOINT_URL) is a public address that browsers can reach, not an internal host name, and that it answers ${new URL(url).protocol}// requests.`,
    };
  }

  const detail = `Fetched ${url} without credentials: HTTP ${response.status}.`;
  if (response.status === 403) {
    await response.body?.cancel();
    return { ok: false, detail, ...explainBlockedPublicRead(options.publicBaseUrl, bucket, options.publicFolders) };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return {
      ok: false,
      detail,
      cause: `The public image URL answers HTTP ${response.status} instead of the image${response.status === 404 ? ": it does not lead to this bucket's objects" : ''}, so browsers could not load any image.`,
      fix: urlSettingsFix(bucket),
    };
  }
  const received = Buffer.from(await response.arrayBuffer());
  if (!received.equals(expected)) {
    return {
      ok: false,
      detail: `${detail} But the content (${received.length} bytes, ${response.headers.get('content-type') ?? 'no type'}) is not the test object.`,
      cause:
        'Something in front of the bucket (a CDN or proxy) answers this URL with other content, so browsers would get that instead of images.',
      fix: urlSettingsFix(bucket),
    };
  }
  return { ok: true, detail: `${detail} The bytes match: browsers can load images.` };
}

function explainBlockedPublicRead(
  publicBaseUrl: string,
  bucket: string,
  folders: readonly string[] | undefined,
): { cause: string; fix: string } {
  return {
    cause:
      'Public read is blocked by the bucket policy / Block Public Access: anonymous requests get 403, so every image would show as broken in browsers.',
    fix: [
      `Browsers load images from ${publicBaseUrl}, so anonymous reads of the objects must be allowed. Either:`,
      '- add this bucket policy (S3 console → the bucket → Permissions → Bucket policy; on AWS first turn off',
      '  the two Block Public Access settings about "bucket or access point policies", on the bucket and on',
      `  the account; on MinIO save it as policy.json and run \`mc anonymous set-json policy.json ALIAS/${bucket}\`):`,
      policyJson(publicReadBucketPolicy(bucket, folders)),
      '- or keep the bucket private and serve images through a CDN allowed to read it (for example CloudFront',
      "  with origin access control), and set CDN_BASE_URL to the CDN's address;",
      '- or keep the bucket private and switch IMAGE_URL_MODE (and VIDEO_URL_MODE) to signed (pages link to',
      '  presigned URLs of the bucket) or proxy (the app streams files under /media/ itself).',
    ].join('\n'),
  };
}

export function urlSettingsFix(bucket: string): string {
  return [
    `If CDN_BASE_URL is set, point the CDN's origin at bucket "${bucket}" with no extra path.`,
    'Otherwise check AWS_ENDPOINT_URL, AWS_REGION and AWS_S3_FORCE_PATH_STYLE: path-style URLs look like',
    'https://host/bucket/key, virtual-hosted ones like https://bucket.host/key, and not every provider serves both.',
  ].join('\n');
}

export function networkReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  // Node's fetch hides the socket error (ECONNREFUSED, ENOTFOUND) in `cause`.
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return typeof cause.message === 'string' ? cause.message : cause.code;
  return error instanceof Error ? error.message : String(error);
}
