/**
 * Per-member upload rate limit (HOSTILE-INPUT #9): every upload is decoded and stored, so one
 * account must not be able to keep the image queue busy for everyone. Counted per member
 * (not per IP: members behind one NAT do not share a budget) and per app instance; past the
 * limit the member gets 429 with Retry-After and a sentence saying when to try again.
 */
import { rateLimit } from 'express-rate-limit';
import type { RequestHandler } from 'express';

export function createUploadRateLimit(options: { perMinute: number }): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: options.perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // Only reached behind requireUser, so the member is known.
    keyGenerator: (_req, res) => `member:${String(res.locals.currentUser?.id)}`,
    handler(req, res, _next, limitOptions) {
      const retryAfter = res.getHeader('Retry-After') ?? Math.ceil(limitOptions.windowMs / 1000);
      const message = `You are uploading too fast. Please wait ${retryAfter} seconds and try again.`;
      res.status(429);
      if (req.accepts(['html', 'json']) === 'json') return void res.json({ error: message });
      res.render('pages/error.njk', { status: 429, message });
    },
  });
}
