/**
 * The last handler of an upload route (it must be in the same route: Express skips other
 * routes once an error is pending). A refusal that happens before the route's
 * own code runs (rate limit, daily quota) or escapes it is shown on the form the member came
 * from, not on a bare error page. 403s (CSRF, not yours) and failures (5xx) go on to the
 * app's error page; JSON callers get the app's JSON error.
 */
import type { ErrorRequestHandler, Request, Response } from 'express';
import { HttpError } from '../refusals/refusal.ts';

export function showRefusalOn(
  render: (req: Request, res: Response, refusal: HttpError) => unknown,
): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    const showable = error instanceof HttpError && error.status < 500 && error.status !== 403;
    if (!showable || res.headersSent || req.accepts(['html', 'json']) !== 'html') return next(error);
    Promise.resolve(render(req, res, error)).catch(next);
  };
}
