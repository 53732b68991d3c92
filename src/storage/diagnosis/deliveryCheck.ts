/**
 * The diagnosis's "load it as a browser would" step for the configured URL modes
 * (IMAGE_URL_MODE / VIDEO_URL_MODE), and which mode fits the bucket as found:
 *   - public: the anonymous GET of the public URL must load the test object;
 *   - signed: a presigned GET of the test object, signed by the very code that signs page
 *     links (signedUrls.ts), must load it — on a private bucket too;
 *   - proxy: browsers never touch the bucket; the app's own read (step 3) is all it needs.
 * The anonymous GET runs in every mode, because whether the bucket is public is what decides
 * which mode fits.
 */
import type { UrlMode } from '../../config.ts';
import { explainMissingPermission } from './explainS3Failure.ts';
import { checkPublicRead, networkReason, urlSettingsFix, type PublicReadOutcome } from './publicReadCheck.ts';

export interface DeliveryModes {
  images: UrlMode;
  videos: UrlMode;
}

export type AnonymousRead = 'allowed' | 'blocked' | 'failed';

export interface DeliveryOutcome extends PublicReadOutcome {
  anonymousRead: AnonymousRead;
  /** One or two sentences: which URL mode fits this bucket, and what to change if the current one does not. */
  advice: string;
}

export interface DeliveryCheckOptions {
  modes: DeliveryModes;
  /** The object's public URL (bucket or CDN), as public mode renders it. */
  publicUrl: string;
  publicBaseUrl: string;
  /** The object's presigned URL, as signed mode renders it; required when a mode is signed. */
  signedUrl: string | undefined;
  expected: Buffer;
  bucket: string;
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
}

/** Never throws. */
export async function checkDelivery(options: DeliveryCheckOptions): Promise<DeliveryOutcome> {
  const { modes } = options;
  const used = new Set<UrlMode>([modes.images, modes.videos]);
  const anonymous = await checkPublicRead({
    url: options.publicUrl,
    publicBaseUrl: options.publicBaseUrl,
    expected: options.expected,
    bucket: options.bucket,
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
    // The policy to print opens only the folders pages link publicly: private videos stay private.
    publicFolders: [
      ...(modes.images === 'public' ? ['avatars', 'thumbnails'] : []),
      ...(modes.videos === 'public' ? ['uploads'] : []),
    ],
  });
  const anonymousRead: AnonymousRead = anonymous.ok
    ? 'allowed'
    : / HTTP 403\./.test(anonymous.detail)
      ? 'blocked'
      : 'failed';

  // Public mode alone reads exactly as before: the anonymous GET is the step.
  const outcome: PublicReadOutcome = { ok: true, detail: anonymous.detail };
  if (used.has('public')) Object.assign(outcome, anonymous);
  else if (anonymousRead === 'blocked')
    outcome.detail = `${anonymous.detail} Anonymous read is refused: the bucket is private, which ${describe(modes)} does not mind.`;

  let signedOk: boolean | undefined;
  if (used.has('signed')) {
    const signed =
      options.signedUrl === undefined
        ? {
            ok: false,
            detail: 'No signed URL could be made.',
            cause: 'Signed mode needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
            fix: 'Set both, or use IMAGE_URL_MODE=proxy.',
          }
        : await checkSignedRead({ ...options, signedUrl: options.signedUrl });
    signedOk = signed.ok;
    outcome.detail = `${outcome.detail} ${signed.detail}`;
    if (!signed.ok) {
      outcome.ok = false;
      outcome.cause = [outcome.cause, signed.cause].filter(Boolean).join('\n');
      outcome.fix = [outcome.fix, signed.fix].filter(Boolean).join('\n');
    }
  }
  if (used.has('proxy')) {
    outcome.detail = `${outcome.detail} Proxy mode needs no access from browsers to the bucket: the app streams files under /media/ itself, and step 3 showed it can read them.`;
  }
  return { ...outcome, anonymousRead, advice: advise(modes, anonymousRead, signedOk) };
}

function describe(modes: DeliveryModes): string {
  return modes.images === modes.videos
    ? `IMAGE_URL_MODE=${modes.images}`
    : `IMAGE_URL_MODE=${modes.images} with VIDEO_URL_MODE=${modes.videos}`;
}

function advise(modes: DeliveryModes, anonymousRead: AnonymousRead, signedOk: boolean | undefined): string {
  const used = new Set<UrlMode>([modes.images, modes.videos]);
  const setting = describe(modes);
  if (used.has('public') && anonymousRead === 'blocked') {
    return `Public read is blocked, so ${setting} shows broken images: switch IMAGE_URL_MODE (and VIDEO_URL_MODE) to signed or proxy, or allow public read with the bucket policy above.`;
  }
  if (used.has('public') && anonymousRead === 'failed') {
    return `Browsers cannot load the public URLs (see above): fix that, or switch IMAGE_URL_MODE to proxy, where only the app needs to reach the bucket.`;
  }
  if (signedOk === false) {
    return `Signed URLs do not load (see above): fix that, or switch to IMAGE_URL_MODE=proxy, where only the app needs to reach the bucket.`;
  }
  if (anonymousRead === 'allowed') {
    if (used.size === 1 && used.has('public'))
      return 'Public read works: IMAGE_URL_MODE=public fits (signed and proxy would work too).';
    return `${setting} works. The bucket also allows anonymous reads, though, so its files are not private: IMAGE_URL_MODE=public would fit too (and is the cheapest), or remove the public-read policy to keep them private.`;
  }
  if (used.has('signed') && !used.has('proxy')) return `The bucket is private and signed URLs load: ${setting} fits.`;
  return `The bucket is ${anonymousRead === 'blocked' ? 'private' : 'not publicly readable from here'}, and ${setting} needs no public read: it fits.`;
}

interface SignedReadOptions {
  signedUrl: string;
  expected: Buffer;
  bucket: string;
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
}

async function checkSignedRead(options: SignedReadOptions): Promise<PublicReadOutcome> {
  const { signedUrl, expected, bucket, timeoutMs } = options;
  // The signature grants access for hours; the test object is deleted at once, but there is no need to print it.
  const shown = `${signedUrl.split('?')[0]}?X-Amz-Signature=…`;
  let response: Response;
  try {
    response = await options.fetch(signedUrl, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (error) {
    const reason = networkReason(error, timeoutMs);
    return {
      ok: false,
      detail: `Fetching the signed URL ${shown} failed: ${reason}.`,
      cause: `This machine cannot load the signed URL (${reason}); browsers would fail the same way.`,
      fix: 'Signed URLs point at the bucket itself (not CDN_BASE_URL): make sure AWS_ENDPOINT_URL is a public address browsers can reach, not an internal host name.',
    };
  }
  const detail = `Fetched the signed URL ${shown}: HTTP ${response.status}.`;
  if (response.status === 403) {
    const body = await response.text().catch(() => '');
    const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? 'AccessDenied';
    const message = /<Message>([^<]+)<\/Message>/.exec(body)?.[1] ?? '';
    return {
      ok: false,
      detail: `${detail} S3 said ${code}${message ? `: ${message}` : ''}.`,
      ...explainRefusedSignature(code, message, bucket),
    };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return {
      ok: false,
      detail,
      cause: `The signed URL answers HTTP ${response.status} instead of the object, so browsers could not load any signed image.`,
      fix: urlSettingsFix(bucket),
    };
  }
  const received = Buffer.from(await response.arrayBuffer());
  if (!received.equals(expected)) {
    return {
      ok: false,
      detail: `${detail} But the content (${received.length} bytes) is not the test object.`,
      cause: 'Something in front of the bucket answers the signed URL with other content.',
      fix: urlSettingsFix(bucket),
    };
  }
  return { ok: true, detail: `${detail} The bytes match: signed links load, even on a private bucket.` };
}

function explainRefusedSignature(code: string, message: string, bucket: string): { cause: string; fix: string } {
  if (code === 'SignatureDoesNotMatch') {
    return {
      cause:
        'S3 does not accept the signature on the link (SignatureDoesNotMatch): the host or path browsers reach differs from the one signed (a proxy rewriting them), or the secret key is wrong.',
      fix: 'Let browsers reach AWS_ENDPOINT_URL directly, with no proxy rewriting the Host header or path; check AWS_SECRET_ACCESS_KEY and AWS_S3_FORCE_PATH_STYLE.',
    };
  }
  if (code === 'RequestTimeTooSkewed' || /expired|not yet valid/i.test(message)) {
    return {
      cause: "S3 considers the link expired or not yet valid: this machine's clock is off.",
      fix: 'Synchronise the clock (enable NTP, for example `timedatectl set-ntp true`).',
    };
  }
  if (code === 'InvalidAccessKeyId') {
    return {
      cause: 'S3 does not recognise the access key id the link is signed with.',
      fix: 'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to an active key.',
    };
  }
  const permission = explainMissingPermission('s3:GetObject', bucket);
  return {
    cause: `${permission.cause} Signed links carry the app's own permissions, so browsers are refused too.`,
    fix: permission.fix,
  };
}
