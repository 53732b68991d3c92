/**
 * CSRF protection with a per-session synchronizer token. Every form carries it in a hidden
 * `_csrf` field (multipart forms put it before the file, so it is checked before any file
 * byte is accepted); scripts may send it as an `X-CSRF-Token` header instead.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Refusal } from '../refusals/refusal.ts';

export const CSRF_FAILURE_MESSAGE =
  'This form has expired or was not sent from VideoVote. Please reload the page and try again.';

/** Shown on a form the server re-renders (with what was typed and a fresh token) after a token failed. */
export const CSRF_REFILLED_MESSAGE =
  'This form has expired or was not sent from VideoVote. Nothing was saved: check what you typed (choose any files again) and send it once more.';

/** The refusal for a missing or stale token; `field: 'form'` marks it as one a form can show, refilled. */
export function csrfRefusal(): Refusal {
  return new Refusal(403, CSRF_FAILURE_MESSAGE, { field: 'form' });
}

/** True for csrfRefusal()'s errors: the form may be shown again, filled in, with CSRF_REFILLED_MESSAGE. */
export function isCsrfRefusal(error: unknown): boolean {
  return error instanceof Refusal && error.status === 403 && error.field === 'form';
}

/**
 * Gives templates `csrfToken()`, which creates the session's token on first use. Only pages
 * that render a form call it, so an anonymous visitor reading pages gets no session row and
 * no cookie, and those pages stay cacheable.
 */
export const provideCsrfToken: RequestHandler = (req, res, next) => {
  res.locals.csrfToken = () => (req.session.csrfToken ??= randomBytes(24).toString('base64url'));
  next();
};

export function hasValidCsrfToken(req: Request): boolean {
  const expected = req.session?.csrfToken;
  const body = req.body as Record<string, unknown> | undefined;
  const sent = (typeof body?._csrf === 'string' && body._csrf) || req.get('x-csrf-token');
  if (!expected || typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Rejects state-changing requests without a valid token with 403. */
export function requireCsrfToken(req: Request, _res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD' || hasValidCsrfToken(req)) next();
  else next(csrfRefusal());
}
