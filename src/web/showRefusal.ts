/**
 * The last handler of an upload route (it must be in the same route: Express skips other
 * routes once an error is pending). A refusal that happens before the route's
 * own code runs (rate limit, daily quota) or escapes it is shown on the form the member came
 * from, not on a bare error page. 403s (CSRF, not yours) and failures (5xx) go on to the
 * app's error page; JSON callers get the app's JSON error.
 */
import type { ErrorRequestHandler, Request, Response } from 'express';
import { CSRF_REFILLED_MESSAGE, isCsrfRefusal } from './csrf.ts';
import { HttpError } from './httpError.ts';

/** A refusal the member's form can show: any 4xx but a 403 other than a stale form token (not yours: the error page). */
export function isShowableRefusal(error: unknown): error is HttpError {
  return error instanceof HttpError && error.status < 500 && (error.status !== 403 || isCsrfRefusal(error));
}

/** The sentence on the form: a stale token's says the form is back, filled in, with a fresh token. */
export function refusalSentence(refusal: HttpError): string {
  return isCsrfRefusal(refusal) ? CSRF_REFILLED_MESSAGE : refusal.message;
}

export function showRefusalOn(
  render: (req: Request, res: Response, refusal: HttpError) => unknown,
): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (!isShowableRefusal(error) || res.headersSent || req.accepts(['html', 'json']) !== 'html') return next(error);
    Promise.resolve(render(req, res, error)).catch(next);
  };
}
