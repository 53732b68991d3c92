/**
 * Sign-ups per client IP per hour (SIGNUPS_PER_IP_PER_HOUR), successful ones too: every new
 * account brings its own upload rate and daily quota, so one client opening 60 accounts in two
 * seconds multiplied both. Same mechanism as loginThrottle: counted in the database when a
 * store is given, so every instance shares the budget. Past the limit: 429 with Retry-After,
 * and the sentence next to the username on the sign-up form.
 */
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { RequestHandler } from 'express';
import { Refusal } from '../refusals/refusal.ts';
import type { RateLimitStoreFactory } from './databaseRateLimitStore.ts';

const WINDOW_MS = 60 * 60_000;

export function createSignupThrottle({
  perHour,
  store,
}: {
  perHour: number;
  store?: RateLimitStoreFactory;
}): RequestHandler {
  return rateLimit({
    ...(store && { store: store('signup:') }),
    windowMs: WINDOW_MS,
    limit: perHour,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => `signup:ip:${ipKeyGenerator(req.ip ?? 'unknown')}`,
    handler(_req, res, next) {
      const retryAfter = Number(res.getHeader('Retry-After') ?? WINDOW_MS / 1000);
      res.setHeader('Retry-After', String(retryAfter));
      const minutes = Math.max(1, Math.ceil(retryAfter / 60));
      next(
        new Refusal(
          429,
          `Too many accounts were created from your network. Please wait ${minutes} minute${minutes === 1 ? '' : 's'} and try again.`,
          { field: 'username' },
        ),
      );
    },
  });
}
