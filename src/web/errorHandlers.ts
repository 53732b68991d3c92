/**
 * The last two middlewares. Order matters: Express reaches `notFound` only when no route
 * answered, and reaches `renderError` only with an error — so 404s and failures each get
 * a friendly page with the request id to quote, and a stack trace reaches the browser only
 * in development (NODE_ENV unset or "development"), never in production or tests.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger.ts';
import { HttpError } from '../refusals/refusal.ts';

export const notFound: RequestHandler = (_req, _res, next) => {
  next(new HttpError(404, 'We could not find that page.'));
};

export function createErrorRenderer(logger: Logger, options: { showStackTraces: boolean }): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const status = httpStatusOf(error);
    const message =
      status < 500 && error instanceof Error ? error.message : 'Something went wrong on our side. Please try again.';
    if (status >= 500) logger.error({ err: error, method: req.method, url: req.originalUrl }, 'Request failed');
    if (res.headersSent) return;
    res.status(status);
    const requestId = res.locals.requestId;
    if (req.accepts(['html', 'json']) === 'json') return res.json({ error: message, requestId });
    const stack = options.showStackTraces && status >= 500 && error instanceof Error ? error.stack : undefined;
    res.render('pages/error.njk', { status, message, requestId, stack });
  };
}

function httpStatusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  // body-parser and friends mark client errors with a 4xx status.
  const status = (error as { status?: unknown; statusCode?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}
