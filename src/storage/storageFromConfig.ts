/** Wires the storage adapters from configuration; shared by the server and the CLI tools. */
import type { AppConfig, BackupBucketSettings, MediaDeliverySettings, S3Settings, UrlMode } from '../config.ts';
import { withCircuitBreaker, type BreakerOptions, type GuardedAdapter } from './circuitBreaker.ts';
import type { StorageAdapter } from './contract.ts';
import { createLocalAdapter } from './adapters/local.ts';
import { createS3Adapter } from './adapters/s3.ts';
import { publicBaseUrlFor } from './publicBaseUrl.ts';
import { PUBLIC_DELIVERY, type MediaDelivery } from './imageUrls.ts';
import { type RequestKind, withRequestCounting } from './requestCounting.ts';
import { createS3Client, s3TimeoutsFor, type S3ClientTimeouts } from './s3Client.ts';
import { createMultipartStore, type MultipartStore } from './multipartUploads.ts';
import { createPartUrlSigner, type PartUrlSigner } from './presignedPartUrls.ts';
import { createPostSigner, type PostSigner } from './presignedPost.ts';
import { createUrlSigner, type UrlSigner } from './signedUrls.ts';

/** Where browsers put direct uploads until the app has checked them (storage:gc sweeps what is left). */
export const INCOMING_PREFIX = 'incoming/';
/** Short: a leaked upload form or part URL is useless after this. The expiry is enforced by S3. */
export const DIRECT_UPLOAD_EXPIRES_SECONDS = 600;

export interface ConfiguredAdapters {
  /** S3 behind its circuit breaker, when USE_CLOUD_STORAGE is on. */
  s3: GuardedAdapter | undefined;
  local: StorageAdapter;
  backup: StorageAdapter | undefined;
  /** Origins that serve images besides the app (for the Content-Security-Policy's img-src). */
  imageOrigins: string[];
  /** Origins that serve uploaded videos besides the app (for media-src). */
  mediaOrigins: string[];
  /** How S3-located files reach browsers: the URL modes and, for `signed`, the signer. */
  delivery: MediaDelivery;
}

/**
 * One S3 client per bucket's settings: the adapter and the multipart operations of the same
 * bucket share its connection pool and credentials instead of each building their own. The
 * first caller's timeouts stay with the client (adaptersFromConfig comes first at boot).
 */
const clients = new WeakMap<object, ReturnType<typeof createS3Client>>();
function clientFor(
  settings: Parameters<typeof createS3Client>[0],
  timeouts?: S3ClientTimeouts,
): ReturnType<typeof createS3Client> {
  let client = clients.get(settings);
  if (!client) {
    client = createS3Client(settings, timeouts);
    clients.set(settings, client);
  }
  return client;
}

export function s3AdapterFor(
  settings: S3Settings | (BackupBucketSettings & { cdnBaseUrl?: undefined }),
  timeouts?: S3ClientTimeouts,
): StorageAdapter {
  const publicBaseUrl = publicBaseUrlFor({ ...settings, cdnBaseUrl: settings.cdnBaseUrl });
  return createS3Adapter({ client: clientFor(settings, timeouts), bucket: settings.bucket, publicBaseUrl });
}

/** The bucket's own address (never the CDN): what signed URLs point at. */
export function bucketBaseUrlFor(settings: S3Settings): string {
  return publicBaseUrlFor({ ...settings, cdnBaseUrl: undefined });
}

/**
 * Signs browser-to-S3 upload forms (POST policies) for direct uploads. Undefined without static
 * credentials, like the part signer (multipartUploadsFor): direct uploads are then off and forms
 * post to the app.
 */
export function postSignerFor(settings: S3Settings): PostSigner | undefined {
  if (!settings.credentials) return undefined;
  return createPostSigner({
    client: clientFor(settings),
    bucket: settings.bucket,
    expiresSeconds: DIRECT_UPLOAD_EXPIRES_SECONDS,
  });
}

/** S3's multipart operations on the app's bucket (any credentials: storage:gc works with an IAM role too). */
export function multipartStoreFor(settings: S3Settings): MultipartStore {
  return createMultipartStore({ client: clientFor(settings), bucket: settings.bucket });
}

/**
 * What browser-to-S3 video uploads need: the multipart operations and a signer for part URLs.
 * Undefined without static credentials, for the same reason as postSignerFor.
 */
export function multipartUploadsFor(
  settings: S3Settings,
): { multipart: MultipartStore; signPart: PartUrlSigner } | undefined {
  const credentials = settings.credentials;
  if (!credentials) return undefined;
  return {
    multipart: multipartStoreFor(settings),
    signPart: createPartUrlSigner({
      bucketBaseUrl: bucketBaseUrlFor(settings),
      region: settings.region,
      credentials,
      expiresSeconds: DIRECT_UPLOAD_EXPIRES_SECONDS,
    }),
  };
}

/**
 * The signer for presigned GET URLs (signedUrls.ts); the same code path serves pages and
 * storage:check. Undefined without static credentials, which config.ts refuses in signed mode.
 */
export function urlSignerFor(settings: S3Settings, windowMinutes: number, now?: () => number): UrlSigner | undefined {
  if (!settings.credentials) return undefined;
  return createUrlSigner({
    bucketBaseUrl: bucketBaseUrlFor(settings),
    region: settings.region,
    credentials: settings.credentials,
    windowMs: windowMinutes * 60_000,
    now,
  });
}

/** The delivery modes from configuration, with a signer when a mode needs one. */
export function deliveryFromConfig(
  s3: S3Settings | undefined,
  settings: MediaDeliverySettings | undefined,
): MediaDelivery {
  if (!s3 || !settings) return PUBLIC_DELIVERY;
  const { imageUrlMode: imageMode, videoUrlMode: videoMode } = settings;
  const signed = imageMode === 'signed' || videoMode === 'signed';
  return { imageMode, videoMode, signedUrlFor: signed ? urlSignerFor(s3, settings.signedUrlWindowMinutes) : undefined };
}

/** Where browsers fetch S3-located files from in a mode: the CSP must allow that origin ('self' covers proxy). */
function originsFor(settings: S3Settings, mode: UrlMode): string[] {
  if (mode === 'proxy') return [];
  return [new URL(mode === 'signed' ? bucketBaseUrlFor(settings) : publicBaseUrlFor(settings)).origin];
}

export function adaptersFromConfig(
  config: Pick<AppConfig, 's3' | 'localStorageDir'> & Partial<Pick<AppConfig, 'mediaDelivery' | 's3SlowAfterMs'>>,
  breaker: BreakerOptions = {},
  /** Told of every request sent to a bucket (storage:usage prices the month from these). */
  countRequest?: (target: 'primary' | 'backup', kind: RequestKind) => void,
): ConfiguredAdapters {
  const local = createLocalAdapter({ rootDir: config.localStorageDir, publicPath: '/static' });
  if (!config.s3)
    return { s3: undefined, local, backup: undefined, imageOrigins: [], mediaOrigins: [], delivery: PUBLIC_DELIVERY };
  const counted = (adapter: StorageAdapter, target: 'primary' | 'backup') =>
    countRequest ? withRequestCounting(adapter, (kind) => countRequest(target, kind)) : adapter;
  // S3_SLOW_MS: what counts as slow for the bucket uploads wait on (the backup is written in the background).
  const timeouts = s3TimeoutsFor(config.s3SlowAfterMs);
  const s3 = withCircuitBreaker(counted(s3AdapterFor(config.s3, timeouts), 'primary'), breaker);
  const backup = config.s3.backup ? counted(s3AdapterFor(config.s3.backup), 'backup') : undefined;
  const delivery = deliveryFromConfig(config.s3, config.mediaDelivery);
  return {
    s3,
    local,
    backup,
    imageOrigins: originsFor(config.s3, delivery.imageMode),
    mediaOrigins: originsFor(config.s3, delivery.videoMode),
    delivery,
  };
}
