/**
 * Per-member rate limits (HOSTILE-INPUT #9 for uploads, and votes): every upload is decoded
 * and stored, and every vote rewrites the ranking, so one account must not be able to keep
 * the app busy for everyone. Counted per member (not per IP: members behind one NAT do not
 * share a budget), in the database when a store is given (databaseRateLimitStore.ts), so every
 * instance draws on one budget; in this process's memory otherwise. Past the limit the request fails with a
 * 429 Refusal carrying Retry-After; the route's own error handling shows the sentence
 * where the member acted (an upload form, or the error page).
 */
import { rateLimit } from 'express-rate-limit';
import type { Request, RequestHandler, Response } from 'express';
import { Refusal } from '../refusals/refusal.ts';
import type { RateLimitStoreFactory } from './databaseRateLimitStore.ts';

export interface MemberRateLimitOptions {
  perMinute: number;
  /** The sentence shown when the limit is reached, given the seconds until it frees. */
  tooFast: (retryAfterSeconds: number) => string;
  /** Names the budget, so two limits never share counts. */
  name: string;
  /** Requests that never count (checked before the body is read). */
  skip?: (req: Request) => boolean;
  /** Where the counts live; express-rate-limit's memory store (this process only) when absent. */
  store?: RateLimitStoreFactory;
}

declare module 'express-serve-static-core' {
  interface Locals {
    /** Set by a route whose request turned out to store no file (countAsNoUpload). */
    noUploadCounted?: boolean;
  }
}

/**
 * Marks this request as no upload — a link-only submission, a form refused for a missing title
 * before any file was stored, a form without a file — so the upload budget gives its count back.
 */
export function countAsNoUpload(res: Response): void {
  res.locals.noUploadCounted = true;
}

export function createMemberRateLimit({
  perMinute,
  tooFast,
  name,
  skip,
  store,
}: MemberRateLimitOptions): RequestHandler {
  return rateLimit({
    ...(store && { store: store(`${name}:`) }),
    ...(skip && { skip }),
    // A request a route marked as no upload gives its count back when the answer is sent.
    skipFailedRequests: true,
    requestWasSuccessful: (_req, res) => res.locals.noUploadCounted !== true,
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // Only reached behind requireUser, so the member is known.
    keyGenerator: (_req, res) => `${name}:member:${String(res.locals.currentUser?.id)}`,
    handler(_req, res, next, limitOptions) {
      const retryAfter = Number(res.getHeader('Retry-After') ?? Math.ceil(limitOptions.windowMs / 1000));
      res.setHeader('Retry-After', String(retryAfter));
      next(new Refusal(429, tooFast(retryAfter)));
    },
  });
}

export function createUploadRateLimit(options: { perMinute: number; store?: RateLimitStoreFactory }): RequestHandler {
  return createMemberRateLimit({
    ...options,
    name: 'uploads',
    // A URL-encoded form cannot carry a file (the upload forms send one without a file: formUpload.js).
    skip: (req) => Boolean(req.is('application/x-www-form-urlencoded')),
    tooFast: (seconds) => `You are uploading too fast. Please wait ${seconds} seconds and try again.`,
  });
}

export function createVoteRateLimit(options: { perMinute: number; store?: RateLimitStoreFactory }): RequestHandler {
  return createMemberRateLimit({
    ...options,
    name: 'votes',
    tooFast: (seconds) => `You are voting too fast. Please wait ${seconds} seconds and try again.`,
  });
}
