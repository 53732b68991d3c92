/**
 * The only reader of process.env. Everything the app needs from its environment is read
 * here once, validated, and handed around as a typed object; every problem is reported at
 * once, by variable name, so an operator fixes a bad deploy in one round trip.
 * Secrets (AWS keys, SESSION_SECRET) are kept out of anything that gets logged: use
 * `describeConfig` for a printable summary.
 */
import os from 'node:os';
import path from 'node:path';
import { createEnvReaders, type Env } from './config/envReaders.ts';
import { readS3Settings, type S3Settings } from './config/s3Settings.ts';
import { readAbuseLimits, type AbuseLimits } from './config/abuseLimits.ts';
import { readAppEnv, readDatabaseUrl } from './config/databaseSettings.ts';
import { readWebHardening, type WebHardening } from './config/webHardening.ts';
import { readWorkerSettings, type WorkerSettings } from './config/workerSettings.ts';
import { readUploadPressure, type UploadPressure } from './config/uploadPressure.ts';

// Defined beside their reader, which config.ts imports (one way); re-exported for everyone else.
export type { BackupBucketSettings, S3Settings } from './config/s3Settings.ts';

/** How S3-located files reach browsers: the bucket (or CDN) URL, a presigned URL, or the app's /media route. */
export type UrlMode = 'public' | 'signed' | 'proxy';
export const URL_MODES: readonly UrlMode[] = ['public', 'signed', 'proxy'];

export interface MediaDeliverySettings {
  /** Avatars and thumbnails (IMAGE_URL_MODE). */
  imageUrlMode: UrlMode;
  /** Uploaded videos (VIDEO_URL_MODE; defaults to the image mode). */
  videoUrlMode: UrlMode;
  /** Signed URLs are signed at the start of a window of this length and stay valid for two windows. */
  signedUrlWindowMinutes: number;
}

export interface AppConfig extends AbuseLimits, WebHardening, WorkerSettings, UploadPressure {
  env: 'development' | 'production' | 'test';
  port: number;
  /** Interface to listen on; unset means all (what Render needs). Tests and benchmarks use 127.0.0.1. */
  host: string | undefined;
  /** The app's public origin (APP_ORIGIN, or Render's RENDER_EXTERNAL_URL): storage:check tests the bucket's CORS for it. */
  appOrigin: string | undefined;
  databaseUrl: string | undefined;
  dataDir: string;
  sessionSecret: string | undefined;
  /** Undefined when USE_CLOUD_STORAGE is off: images then live on local disk only. */
  s3: S3Settings | undefined;
  localStorageDir: string;
  maxImageBytes: number;
  maxVideoBytes: number;
  /** Images whose header declares more pixels are refused before decoding. */
  maxImagePixels: number;
  /** Proxy hops in front of the app whose X-Forwarded-* headers are believed (Render: 1). */
  trustProxyHops: number;
  /** Where large uploads are spooled while they are checked and stored; emptied as each request ends. */
  uploadTempDir: string;
  /** How often pending copies (fallback → S3, S3 → backup) are retried. */
  resyncIntervalMs: number;
  /** How long SIGTERM may take: finish requests, then push pending images to S3. */
  shutdownGraceMs: number;
  logLevel: string;
  /** How S3-located images and videos are delivered (files on local disk are always served under /static). */
  mediaDelivery: MediaDeliverySettings;
}

export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Configuration is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): AppConfig {
  const problems: string[] = [];
  const readers = createEnvReaders(env, problems);
  const { read, flag, positiveInt, httpUrl } = readers;

  const appEnv = readAppEnv(readers, problems);

  const port = positiveInt('PORT', 3000, 65535);
  const host = read('HOST');
  const appOrigin = httpUrl('APP_ORIGIN', false) ?? httpUrl('RENDER_EXTERNAL_URL', false);
  const dataDir = path.resolve(cwd, read('DATA_DIR') ?? './data');
  const databaseUrl = readDatabaseUrl(readers, appEnv, problems);

  const sessionSecret = read('SESSION_SECRET');
  if (appEnv === 'production' && sessionSecret === undefined) {
    problems.push('SESSION_SECRET is required in production (a long random string; render.yaml generates one)');
  } else if (sessionSecret !== undefined && sessionSecret.length < 32) {
    problems.push('SESSION_SECRET must be at least 32 characters long');
  }

  const maxImageMb = positiveInt('MAX_IMAGE_SIZE_MB', 20, 100);
  // 500 MB is about four minutes of a phone's 1080p video (H.264 at ~17 Mbit/s).
  const maxVideoMb = positiveInt('MAX_VIDEO_SIZE_MB', 500, 5000);
  const maxImageMegapixels = positiveInt('MAX_IMAGE_MEGAPIXELS', 50, 500);
  const abuseLimits = readAbuseLimits(readers);
  const webHardening = readWebHardening(readers, problems);
  const workerSettings = readWorkerSettings(readers, databaseUrl, problems);
  const uploadPressure = readUploadPressure(readers, problems);
  const trustProxyRaw = read('TRUST_PROXY_HOPS');
  const trustProxyHops = trustProxyRaw === undefined ? (appEnv === 'production' ? 1 : 0) : Number(trustProxyRaw);
  if (!Number.isInteger(trustProxyHops) || trustProxyHops < 0 || trustProxyHops > 10) {
    problems.push(`TRUST_PROXY_HOPS must be a whole number between 0 and 10 (got "${trustProxyRaw}")`);
  }
  const resyncIntervalSeconds = positiveInt('RESYNC_INTERVAL_SECONDS', 15, 3600);
  const shutdownGraceSeconds = positiveInt('SHUTDOWN_GRACE_SECONDS', 25, 600);
  const localStorageDir = path.resolve(cwd, read('LOCAL_STORAGE_DIR') ?? './static');

  const logLevel = read('LOG_LEVEL') ?? (appEnv === 'test' ? 'silent' : 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "${logLevel}")`);
  }

  const s3 = flag('USE_CLOUD_STORAGE', false) ? readS3Settings(readers, problems) : undefined;

  const urlMode = (name: string, fallback: UrlMode): UrlMode => {
    const raw = read(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if ((URL_MODES as readonly string[]).includes(raw)) return raw as UrlMode;
    problems.push(`${name} must be one of ${URL_MODES.join(', ')} (got "${raw}")`);
    return fallback;
  };
  const imageUrlMode = urlMode('IMAGE_URL_MODE', 'public');
  const videoUrlMode = urlMode('VIDEO_URL_MODE', imageUrlMode);
  // S3 refuses presigned URLs valid for more than 7 days, and a URL lives for two windows.
  const signedUrlWindowMinutes = positiveInt('SIGNED_URL_WINDOW_MINUTES', 60, 5040);
  if (s3 && s3.credentials === undefined && (imageUrlMode === 'signed' || videoUrlMode === 'signed')) {
    problems.push(
      'IMAGE_URL_MODE / VIDEO_URL_MODE "signed" needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: links are signed on the spot with the secret key, and temporary credentials (an IAM role) expire before the links do. Set both, or use "proxy".',
    );
  }

  if (problems.length > 0) throw new ConfigError(problems);

  return {
    env: appEnv,
    port,
    host,
    appOrigin: appOrigin === undefined ? undefined : new URL(appOrigin).origin,
    databaseUrl,
    dataDir,
    sessionSecret,
    s3,
    localStorageDir,
    maxImageBytes: maxImageMb * 1024 * 1024,
    maxVideoBytes: maxVideoMb * 1024 * 1024,
    maxImagePixels: maxImageMegapixels * 1_000_000,
    ...abuseLimits,
    ...webHardening,
    ...workerSettings,
    ...uploadPressure,
    trustProxyHops,
    resyncIntervalMs: resyncIntervalSeconds * 1000,
    shutdownGraceMs: shutdownGraceSeconds * 1000,
    uploadTempDir: path.resolve(cwd, read('UPLOAD_TEMP_DIR') ?? path.join(os.tmpdir(), 'videovote-uploads')),
    logLevel,
    mediaDelivery: { imageUrlMode, videoUrlMode, signedUrlWindowMinutes },
  };
}

/** A loggable summary: no secrets, just what an operator needs to confirm the mode. */
export function describeConfig(config: AppConfig): Record<string, unknown> {
  return {
    env: config.env,
    port: config.port,
    database: config.databaseUrl ? 'postgresql' : `embedded (${config.dataDir})`,
    imageStorage: config.s3
      ? {
          mode: 's3',
          bucket: config.s3.bucket,
          region: config.s3.region,
          endpoint: config.s3.endpoint ?? 'aws',
          credentials: config.s3.credentials ? 'from AWS_ACCESS_KEY_ID' : 'SDK default chain',
          cdn: config.s3.cdnBaseUrl ?? 'none',
          backup: config.s3.backup
            ? {
                bucket: config.s3.backup.bucket,
                region: config.s3.backup.region,
                endpoint: config.s3.backup.endpoint ?? 'aws',
              }
            : 'none',
        }
      : { mode: 'local', dir: config.localStorageDir },
    urlModes: config.s3
      ? {
          images: config.mediaDelivery.imageUrlMode,
          videos: config.mediaDelivery.videoUrlMode,
          ...((config.mediaDelivery.imageUrlMode === 'signed' || config.mediaDelivery.videoUrlMode === 'signed') && {
            signedUrlWindowMinutes: config.mediaDelivery.signedUrlWindowMinutes,
          }),
        }
      : 'local files are served under /static',
  };
}
