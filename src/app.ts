/**
 * createApp builds the Express app from its dependencies and never listens, so tests drive
 * it through supertest and server.ts owns the process. The middleware list below reads top
 * to bottom in the order a request meets it.
 */
import path from 'node:path';
import express, { type Express } from 'express';
import compression from 'compression';
import type { AppConfig } from './config.ts';
import type { AppDatabase } from './db/database.ts';
import type { DatabaseSessionStore } from './db/sessionStore.ts';
import type { Logger } from './logger.ts';
import type { ImageStorage } from './files/imageStorage.ts';
import { PUBLIC_DELIVERY, urlModeForKey, type MediaDelivery } from './storage/imageUrls.ts';
import type { StorageHealth } from './files/storageHealth.ts';
import { createAuthHandlers } from './routes/auth.ts';
import { createHealthHandlers } from './routes/health.ts';
import { createDatabaseProbe } from './db/databaseProbe.ts';
import type { JobsHealthReport } from './jobs/jobsHealth.ts';
import type { FallbackUsage } from './files/fallbackBlobs.ts';
import { createHomeHandlers } from './routes/home.ts';
import { createMediaHandlers } from './routes/media.ts';
import { createMemberHandlers } from './routes/members.ts';
import { createProfileHandlers } from './routes/profile.ts';
import { mountRoutes, pollingRoutes, sessionlessRoutes, sessionRoutes } from './routes/routeTable.ts';
import { createVideoHandlers } from './routes/videos.ts';
import type { StartEarlyVideoUpload } from './files/earlyVideoUpload.ts';
import { createDirectImageUploadHandlers } from './routes/directImageUploadRoutes.ts';
import { createDirectUploadStatusHandlers } from './routes/directUploadStatusRoutes.ts';
import type { DirectUploads } from './uploads/directImageUploads.ts';
import { createDirectVideoUploadHandlers } from './routes/directVideoUploadRoutes.ts';
import type { DirectVideoUploads } from './uploads/directVideoUploads.ts';
import type { UploadQuota } from './files/uploadQuota.ts';
import { configureViews } from './views/configureViews.ts';
import { provideCsrfToken } from './web/csrf.ts';
import { loadCurrentUser } from './web/currentUser.ts';
import { createErrorRenderer, notFound } from './web/errorHandlers.ts';
import { createSessionMiddleware } from './web/session.ts';
import { createStaticRoutes } from './web/staticFiles.ts';
import { fingerprintAssets } from './web/assetFingerprints.ts';
import { imageUploadRules, videoUploadRules } from './views/uploadRules.ts';
import type { RateLimitStoreFactory } from './web/databaseRateLimitStore.ts';
import { createRouteGuards, type GuardLimits } from './routes/routeGuards.ts';
import { createRequestIdMiddleware } from './web/requestId.ts';
import { setPermissionsPolicy } from './web/permissionsPolicy.ts';
import { securityHeaders } from './web/securityHeaders.ts';
import { lingerOnUnreadBody } from './web/lingeringClose.ts';
import { refuseControlCharactersInPath } from './web/controlCharacters.ts';
import { refuseOversizeForms } from './web/declaredLength.ts';

export interface AppDeps {
  config: GuardLimits &
    Pick<
      AppConfig,
      | 'env'
      | 'localStorageDir'
      | 'maxImageBytes'
      | 'maxVideoBytes'
      | 'uploadTempDir'
      | 'trustProxyHops'
      | 'healthzToken'
      | 'refusedBodyLingerMs'
      | 'refusedBodyLingerBytes'
    >;
  db: AppDatabase;
  imageStorage: ImageStorage;
  storageHealth: StorageHealth;
  sessionStore: DatabaseSessionStore;
  sessionSecret: string;
  logger: Logger;
  /** The daily upload quota; its guard runs on every upload route. */
  uploadQuota: UploadQuota;
  /** Origins images may load from besides the app itself (bucket or CDN; none in proxy mode). */
  imageOrigins: string[];
  /** Origins uploaded videos may load from besides the app itself; imageOrigins when not given. */
  mediaOrigins?: string[];
  /** The URL modes (IMAGE_URL_MODE / VIDEO_URL_MODE): /media/<key> serves only proxied folders. */
  delivery?: MediaDelivery;
  /** Browser-to-S3 uploads, when S3 and static credentials are configured. */
  directUploads?: DirectUploads;
  /** Browser-to-S3 multipart uploads of video files, under the same conditions. */
  directVideoUploads?: DirectVideoUploads;
  /** The bucket origin direct uploads post to (CSP connect-src). */
  uploadOrigin?: string;
  /** Streams form-uploaded videos on to S3 as they arrive; undefined without S3. */
  startEarlyVideoUpload?: StartEarlyVideoUpload;
  /** Goes up after each write this process makes (db/writeWatcher.ts): in-memory read models reload then. */
  writeGeneration: () => number;
  /** Where rate-limit and throttle counts live, shared by every instance (web/databaseRateLimitStore.ts). */
  rateLimitStore?: RateLimitStoreFactory;
  /** The shared job queue's figures for /healthz. */
  jobsHealth?: { report(): Promise<JobsHealthReport> };
  /** This process's id, shown on /healthz. */
  instance?: string;
  /** The outage store in PostgreSQL, whose usage /healthz shows. */
  outageStore?: { usage(): Promise<FallbackUsage> };
}

const GIB = 1024 * 1024 * 1024;
/** Plain (urlencoded) forms: a few short fields. */
const FORM_LIMIT_BYTES = 16 * 1024;

const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');

export function createApp(deps: AppDeps): Express {
  const { config, db, imageStorage, logger } = deps;
  const production = config.env === 'production';
  const app = express();

  // Render terminates TLS one proxy hop in front of us; trust exactly that hop (TRUST_PROXY_HOPS),
  // so req.ip is the client (login throttle) and req.secure sees X-Forwarded-Proto (Secure cookie).
  if (config.trustProxyHops > 0) app.set('trust proxy', config.trustProxyHops);
  app.disable('x-powered-by');
  const assets = fingerprintAssets(path.join(PROJECT_ROOT, 'static'));
  configureViews(app, {
    viewsDir: path.join(PROJECT_ROOT, 'views'),
    imageStorage,
    appEnv: config.env,
    assetUrl: assets.assetUrl,
  });
  // Upload forms check type and size in the browser with these, before sending.
  app.locals.imageRules = imageUploadRules(config.maxImageBytes);
  app.locals.videoRules = videoUploadRules(config.maxVideoBytes);
  // Forms get the direct-upload script only when there is a bucket to send to.
  app.locals.directUploadsEnabled = deps.directUploads !== undefined;
  app.locals.directVideoUploadsEnabled = deps.directVideoUploads !== undefined;

  // First, so every later log line and every error page carries the request id.
  app.use(createRequestIdMiddleware(logger));
  app.use(setPermissionsPolicy);
  // Every early refusal (size, login, CSRF, rate, quota) then reaches clients that send first and read later.
  app.use(
    lingerOnUnreadBody(
      {
        maxMs: config.refusedBodyLingerMs,
        maxBytes: config.refusedBodyLingerBytes ?? Math.min(2 * (config.maxImageBytes + config.maxVideoBytes), GIB),
      },
      logger,
    ),
  );
  app.use(
    securityHeaders({
      production,
      imageOrigins: deps.imageOrigins,
      mediaOrigins: deps.mediaOrigins ?? deps.imageOrigins,
      directUploadOrigin: deps.directUploads || deps.directVideoUploads ? deps.uploadOrigin : undefined,
    }),
  );
  app.use(refuseControlCharactersInPath);
  const directUploadStates = createDirectUploadStatusHandlers({ db, imageStorage });
  mountRoutes(app, pollingRoutes({ directUploadStates }));
  // Pages, CSS and JS go compressed; compression skips images and videos (not compressible).
  app.use(compression());
  app.use(assets.routes);
  app.use(
    createStaticRoutes({ assetsDir: path.join(PROJECT_ROOT, 'static'), localStorageDir: config.localStorageDir }),
  );
  // Before the session: a cacheable media response must never carry a Set-Cookie.
  const delivery = deps.delivery ?? PUBLIC_DELIVERY;
  const health = createHealthHandlers({
    storageHealth: deps.storageHealth,
    healthzToken: config.healthzToken,
    jobsHealth: deps.jobsHealth,
    instance: deps.instance,
    outageStore: deps.outageStore,
    database: createDatabaseProbe(db),
  });
  const media = createMediaHandlers({
    db,
    adapterFor: imageStorage.adapterFor,
    serves: (key) => urlModeForKey(delivery, key) === 'proxy',
    logger,
  });
  mountRoutes(app, sessionlessRoutes({ health, media }));

  app.use(
    createSessionMiddleware({
      store: deps.sessionStore,
      secret: deps.sessionSecret,
      secureCookies: production,
      trustProxy: config.trustProxyHops > 0,
    }),
  );
  app.use(loadCurrentUser(db));
  app.use(provideCsrfToken);
  app.use(refuseOversizeForms(FORM_LIMIT_BYTES));
  app.use(express.urlencoded({ extended: false, limit: FORM_LIMIT_BYTES, parameterLimit: 20 }));

  // Every other route, in one table (routes/routeTable.ts): method, path, guards, handler.
  const handlers = {
    health,
    media,
    home: createHomeHandlers({ db, writeGeneration: deps.writeGeneration }),
    auth: createAuthHandlers({ db }),
    members: createMemberHandlers({ db }),
    profile: createProfileHandlers({
      db,
      imageStorage,
      maxImageBytes: config.maxImageBytes,
      uploadTempDir: config.uploadTempDir,
    }),
    videos: createVideoHandlers({
      db,
      imageStorage,
      maxImageBytes: config.maxImageBytes,
      maxVideoBytes: config.maxVideoBytes,
      uploadTempDir: config.uploadTempDir,
      startEarlyVideoUpload: deps.startEarlyVideoUpload,
    }),
    directImages: deps.directUploads
      ? createDirectImageUploadHandlers({ directUploads: deps.directUploads })
      : undefined,
    directUploadStates,
    directVideos: deps.directVideoUploads
      ? createDirectVideoUploadHandlers({ directVideoUploads: deps.directVideoUploads })
      : undefined,
  };
  mountRoutes(
    app,
    sessionRoutes(
      handlers,
      createRouteGuards(config, { uploadQuota: deps.uploadQuota, store: deps.rateLimitStore, logger }),
    ),
  );

  app.use(notFound);
  app.use(createErrorRenderer(logger, { showStackTraces: config.env === 'development' }));
  return app;
}
