/**
 * The guards the route table puts in front of handlers (routeTable.ts's RouteGuards),
 * built from the limits in the configuration. Every count lives in `store` when one is given
 * (web/databaseRateLimitStore.ts), so the limits hold across instances.
 */
import express from 'express';
import type { AppConfig } from '../config.ts';
import type { UploadQuota } from '../files/uploadQuota.ts';
import type { Logger } from '../logger.ts';
import type { RateLimitStoreFactory } from '../web/databaseRateLimitStore.ts';
import { createLoginThrottle } from '../web/loginThrottle.ts';
import { createUploadRateLimit, createVoteRateLimit } from '../web/memberRateLimit.ts';
import { createSignupThrottle } from '../web/signupThrottle.ts';
import { createUploadGate } from '../web/uploadGate.ts';
import type { RouteGuards } from './routeTable.ts';

export type GuardLimits = Pick<
  AppConfig,
  | 'uploadsPerMinute'
  | 'votesPerMinute'
  | 'loginAttemptsPerAccount'
  | 'loginAttemptsPerIp'
  | 'signupsPerIpPerHour'
  | 'uploadsInFlight'
  | 'uploadWaitMs'
>;

export function createRouteGuards(
  limits: GuardLimits,
  { uploadQuota, store, logger }: { uploadQuota: UploadQuota; store?: RateLimitStoreFactory; logger: Logger },
): RouteGuards {
  // One budget across every upload route, forms and direct uploads alike: the rate first (cheap),
  // then the daily quota (one query).
  const uploadLimit = express
    .Router()
    .use(createUploadRateLimit({ perMinute: limits.uploadsPerMinute, store }), uploadQuota.guard);
  const throttle = createLoginThrottle({
    perAccount: limits.loginAttemptsPerAccount,
    perIp: limits.loginAttemptsPerIp,
    store,
  });
  return {
    uploadLimit,
    uploadSlot: createUploadGate({ limit: limits.uploadsInFlight, waitMs: limits.uploadWaitMs, logger }).guard,
    voteLimit: createVoteRateLimit({ perMinute: limits.votesPerMinute, store }),
    loginPerIp: throttle.perIp,
    loginPerAccount: throttle.perAccount,
    signupLimit: createSignupThrottle({ perHour: limits.signupsPerIpPerHour, store }),
  };
}
