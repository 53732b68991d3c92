/**
 * Every route of the app, one row each — method, path, guards, handler — in the order Express
 * tries them (express's route-separation example is the model). Guards run left to right
 * before the handler; a handler's refusals are turned into its page (showRefusalOn) or JSON
 * (answerRefusalAsJson) by the last column. Multipart uploads check their CSRF token while
 * parsing (web/receiveImageUpload.ts), before any file byte is kept, and sign-up and login check
 * theirs (as does deleting an account) to show an expired form again filled in, so those rows
 * list no `csrf` guard; every
 * other state-changing row does.
 */
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { createAuthHandlers } from './auth.ts';
import type { createDirectImageUploadHandlers } from './directImageUploadRoutes.ts';
import type { createDirectUploadStatusHandlers } from './directUploadStatusRoutes.ts';
import type { createDirectVideoUploadHandlers } from './directVideoUploadRoutes.ts';
import type { createHealthHandlers } from './health.ts';
import type { createHomeHandlers } from './home.ts';
import { MEDIA_ROUTE, type createMediaHandlers } from './media.ts';
import type { createMemberHandlers } from './members.ts';
import type { createProfileHandlers } from './profile.ts';
import type { createVideoHandlers } from './videos.ts';
import { requireCsrfToken } from '../web/csrf.ts';
import { requireUser } from '../web/currentUser.ts';
import { answerRefusalAsJson } from '../web/showRefusal.ts';

export interface Route {
  method: 'get' | 'post';
  path: string;
  guards: RequestHandler[];
  handler: RequestHandler;
  /** Turns the handler's (or a guard's) Refusal into the page or JSON the caller came from. */
  refusals?: ErrorRequestHandler;
}

export interface RouteHandlers {
  health: ReturnType<typeof createHealthHandlers>;
  media: ReturnType<typeof createMediaHandlers>;
  home: ReturnType<typeof createHomeHandlers>;
  auth: ReturnType<typeof createAuthHandlers>;
  members: ReturnType<typeof createMemberHandlers>;
  profile: ReturnType<typeof createProfileHandlers>;
  videos: ReturnType<typeof createVideoHandlers>;
  /** Present only when S3 and static credentials are configured. */
  directImages?: ReturnType<typeof createDirectImageUploadHandlers>;
  directVideos?: ReturnType<typeof createDirectVideoUploadHandlers>;
  /** A direct image upload's state after finalize: the polled status, and the pages' notice and confirmation. */
  directUploadStates: ReturnType<typeof createDirectUploadStatusHandlers>;
}

export interface RouteGuards {
  /** Upload rate limit, then the daily quota: one budget across every upload route. */
  uploadLimit: RequestHandler;
  /** Form uploads this instance takes at once (web/uploadGate.ts); after the limits, so a refused upload holds no slot. */
  uploadSlot: RequestHandler;
  voteLimit: RequestHandler;
  loginPerIp: RequestHandler;
  loginPerAccount: RequestHandler;
  /** Sign-ups per IP, successful or not; first, so its refusals cost no login attempts. */
  signupLimit: RequestHandler;
}

const row = (
  method: Route['method'],
  path: string,
  guards: RequestHandler[],
  handler: RequestHandler,
  refusals?: ErrorRequestHandler,
): Route => ({ method, path, guards, handler, refusals });

/**
 * Polled by the browser while a direct upload is processed, so answered first, before
 * compression, the asset and static routes and the session: one primary-key read, no session
 * read or write. Small JSON, never cacheable.
 */
export function pollingRoutes(h: Pick<RouteHandlers, 'directUploadStates'>): Route[] {
  return [row('get', '/uploads/direct/status', [], h.directUploadStates.status)];
}

/** Answered before the session middleware: a cacheable response must never carry a Set-Cookie. */
export function sessionlessRoutes(h: Pick<RouteHandlers, 'health' | 'media'>): Route[] {
  // biome-ignore format: a table reads best aligned
  return [
    row('get',  '/healthz',   [], h.health.show),
    row('get',  MEDIA_ROUTE,  [], h.media.serve),
  ];
}

export function sessionRoutes(h: RouteHandlers, g: RouteGuards): Route[] {
  const csrf = requireCsrfToken;
  const user = requireUser;
  const json2kb = express.json({ limit: '2kb' });
  const json8kb = express.json({ limit: '8kb' });
  // Up to 625 parts' ETags (5000 MB in 8 MiB parts).
  const json64kb = express.json({ limit: '64kb' });
  const { directImages: di, directVideos: dv } = h;
  // The member's unsettled direct image uploads, for the notice beside the avatar or thumbnail.
  const uploadStates = h.directUploadStates.showDirectUploadStates;
  // biome-ignore format: a table reads best aligned
  return [
    row('get',  '/',                        [],                                 h.home.show),
    row('get',  '/signup',                  [],                                 h.auth.showSignup),
    row('post', '/signup',                  [g.signupLimit, g.loginPerIp],      h.auth.signUp,             h.auth.showSignupRefusal),
    row('get',  '/login',                   [],                                 h.auth.showLogin),
    row('post', '/login',                   [g.loginPerIp, g.loginPerAccount],  h.auth.logIn),
    row('post', '/logout',                  [csrf],                             h.auth.logOut,             h.auth.showLogoutRefusal),
    row('get',  '/users/:username',         [],                                 h.members.show),
    row('get',  '/profile',                 [user, uploadStates],               h.profile.show),
    row('post', '/profile/avatar',          [user, g.uploadLimit, g.uploadSlot], h.profile.replaceAvatar,   h.profile.showAvatarRefusal),
    row('get',  '/profile/delete',          [user],                             h.profile.confirmDelete),
    row('post', '/profile/delete',          [user],                             h.profile.deleteOwnAccount),
    row('get',  '/videos/new',              [user],                             h.videos.showForm),
    row('post', '/videos',                  [user, g.uploadLimit, g.uploadSlot], h.videos.submit,           h.videos.showSubmitRefusal),
    row('get',  '/videos/:id',              [uploadStates],                     h.videos.show),
    row('post', '/videos/:id/vote',         [user, g.voteLimit, csrf],          h.videos.vote,             h.videos.showVoteRefusal),
    row('post', '/videos/:id/thumbnail',    [user, g.uploadLimit, g.uploadSlot], h.videos.replaceThumbnail, h.videos.showThumbnailRefusal),
    row('get',  '/videos/:id/delete',       [user],                             h.videos.confirmRemove),
    row('post', '/videos/:id/delete',       [user, csrf],                       h.videos.remove),
    ...(di ? [
    row('post', '/uploads/presign',         [csrf, user, g.uploadLimit, json2kb], di.presign,            answerRefusalAsJson),
    row('post', '/uploads/finalize',        [csrf, user, json2kb],              di.finalize,               answerRefusalAsJson),
    ] : []),
    ...(dv ? [
    row('post', '/uploads/videos/start',    [csrf, user, g.uploadLimit, json8kb], dv.start,              answerRefusalAsJson),
    // Not rate-limited: it continues an upload that start already counted.
    row('post', '/uploads/videos/resume',   [csrf, user, json8kb],              dv.resume,                 answerRefusalAsJson),
    row('post', '/uploads/videos/parts',    [csrf, user, json8kb],              dv.signParts,              answerRefusalAsJson),
    row('post', '/uploads/videos/complete', [csrf, user, json64kb],             dv.complete,               answerRefusalAsJson),
    row('post', '/uploads/videos/abort',    [csrf, user, json8kb],              dv.abort,                  answerRefusalAsJson),
    ] : []),
  ];
}

export function mountRoutes(app: Express, routes: Route[]): void {
  for (const route of routes)
    app[route.method](route.path, ...route.guards, route.handler, ...(route.refusals ? [route.refusals] : []));
}
