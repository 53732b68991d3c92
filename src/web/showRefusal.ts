/**
 * Where a Refusal becomes a page or JSON. `showRefusalOn` is the last handler of a form route
 * (it must be in the same route: Express skips other routes once an error is pending): a
 * refusal — made before the route's own code ran (rate limit, daily quota) or by it (too large,
 * not an image, storage unavailable) — is shown on the form the member came from, not on a bare
 * error page. 403s (CSRF, not yours) and failures that are not refusals go on to the app's error
 * page; JSON callers get the app's JSON error. `answerRefusalAsJson` ends the JSON routes.
 */
import type { ErrorRequestHandler, Request, Response } from 'express';
import { Refusal } from '../refusals/refusal.ts';
import { CSRF_REFILLED_MESSAGE, isCsrfRefusal } from './csrf.ts';

/**
 * A refusal the member's form can show: any but a 403 other than a stale form token (not
 * yours: the error page). 5xx refusals (storage unavailable) are shown too: they say why.
 */
export function isShowableRefusal(error: unknown): error is Refusal {
  return error instanceof Refusal && (error.status !== 403 || isCsrfRefusal(error));
}

/** The sentence on the form: a stale token's says the form is back, filled in, with a fresh token. */
export function refusalSentence(refusal: Refusal): string {
  return isCsrfRefusal(refusal) ? CSRF_REFILLED_MESSAGE : refusal.message;
}

/** Seconds a client should wait before retrying a 503: an outage (S3, the database) is usually over within a minute. */
export const RETRY_AFTER_SECONDS = 30;

/** Adds Retry-After to a 503 that has none yet (a rate limit sets its own on its 429). */
export function suggestRetry(res: Response, status: number): void {
  if (status === 503 && !res.hasHeader('Retry-After')) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
}

export function showRefusalOn(render: (req: Request, res: Response, refusal: Refusal) => unknown): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (!isShowableRefusal(error) || res.headersSent || req.accepts(['html', 'json']) !== 'html') return next(error);
    suggestRetry(res, error.status);
    Promise.resolve(render(req, res, error)).catch(next);
  };
}

/** The JSON body of a refusal: its sentence, and one per form field when it names fields. */
export function refusalJson(refusal: Refusal): { error: string; fields?: Record<string, string> } {
  return { error: refusal.message, ...(refusal.fields && { fields: { ...refusal.fields } }) };
}

/** For the scripts' JSON endpoints: a refusal is answered as JSON whatever the Accept header says. */
export const answerRefusalAsJson: ErrorRequestHandler = (error: unknown, _req, res, next) => {
  if (!(error instanceof Refusal) || res.headersSent) return next(error);
  suggestRetry(res, error.status);
  res.status(error.status).json(refusalJson(error));
};
