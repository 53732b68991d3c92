/**
 * Slows password guessing on POST /login and name probing on POST /signup. Only failed
 * attempts count (a 4xx answer), in two budgets per 15 minutes: per account name typed —
 * whether or not that account exists, so the throttle itself reveals nothing — and per
 * client IP (behind Render's proxy, `trust proxy` makes req.ip the real client). Counts live
 * in the database (databaseRateLimitStore.ts), so several instances share one budget; without
 * a store (some tests) in this process's memory. Past a budget: 429 with Retry-After and a sentence on the error page.
 */
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import type { Request, RequestHandler } from 'express';
import { Refusal } from '../refusals/refusal.ts';
import type { RateLimitStoreFactory } from './databaseRateLimitStore.ts';

const WINDOW_MS = 15 * 60_000;

export interface LoginThrottleOptions {
  perAccount: number;
  perIp: number;
  store?: RateLimitStoreFactory;
}

function typedUsername(req: Request): string {
  const value = (req.body as Record<string, unknown> | undefined)?.username;
  return typeof value === 'string' ? value.trim().toLowerCase().slice(0, 64) : '';
}

function throttle(limit: number, keyGenerator: (req: Request) => string, store: Store | undefined): RequestHandler {
  return rateLimit({
    ...(store && { store }),
    windowMs: WINDOW_MS,
    limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    keyGenerator,
    handler(_req, res, next) {
      const retryAfter = Number(res.getHeader('Retry-After') ?? WINDOW_MS / 1000);
      res.setHeader('Retry-After', String(retryAfter));
      const minutes = Math.max(1, Math.ceil(retryAfter / 60));
      next(
        new Refusal(429, `Too many attempts. Please wait ${minutes} minute${minutes === 1 ? '' : 's'} and try again.`),
      );
    },
  });
}

/**
 * `perIp` goes on both POST /login and POST /signup (one shared budget, so probing names by
 * signing up costs the same as by logging in); `perAccount` on POST /login. Both need a parsed body.
 */
export function createLoginThrottle({ perAccount, perIp, store }: LoginThrottleOptions): {
  perIp: RequestHandler;
  perAccount: RequestHandler;
} {
  return {
    perIp: throttle(perIp, (req) => `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`, store?.('login-ip:')),
    perAccount: throttle(perAccount, (req) => `account:${typedUsername(req)}`, store?.('login-account:')),
  };
}
