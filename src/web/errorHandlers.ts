/**
 * The last two middlewares. Order matters: Express reaches `notFound` only when no route
 * answered, and reaches `renderError` only with an error — so 404s and failures each get
 * a friendly page with the request id to quote, and a stack trace reaches the browser only
 * in development (NODE_ENV unset or "development"), never in production or tests.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger.ts';
import { Refusal } from '../refusals/refusal.ts';
import { refusalJson } from './showRefusal.ts';

export const notFound: RequestHandler = (_req, _res, next) => {
  next(new Refusal(404, 'We could not find that page.'));
};

export function createErrorRenderer(logger: Logger, options: { showStackTraces: boolean }): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const status = httpStatusOf(error);
    // A Refusal's sentence is written for the member whatever its status (503: storage unavailable).
    const message =
      error instanceof Refusal || (status < 500 && error instanceof Error)
        ? error.message
        : 'Something went wrong on our side. Please try again.';
    if (status >= 500 && !(error instanceof Refusal))
      logger.error({ err: error, method: req.method, url: req.originalUrl }, 'Request failed');
    if (res.headersSent) return;
    res.status(status);
    const requestId = res.locals.requestId;
    if (req.accepts(['html', 'json']) === 'json')
      return res.json({ ...(error instanceof Refusal ? refusalJson(error) : { error: message }), requestId });
    const stack = options.showStackTraces && status >= 500 && error instanceof Error ? error.stack : undefined;
    res.render('pages/error.njk', { status, message, requestId, stack });
  };
}

function httpStatusOf(error: unknown): number {
  if (error instanceof Refusal) return error.status;
  // body-parser and friends mark client errors with a 4xx status.
  const status = (error as { status?: unknown; statusCode?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}
