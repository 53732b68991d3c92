/**
 * The last two middlewares. Order matters: Express reaches `notFound` only when no route
 * answered, and reaches `renderError` only with an error — so 404s and failures each get
 * a friendly page with the request id to quote, and a stack trace reaches the browser only
 * in development (NODE_ENV unset or "development"), never in production or tests.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger.ts';
import { Refusal } from '../refusals/refusal.ts';
import { databaseUnavailable } from '../refusals/reasons.ts';
import { isDatabaseUnavailable } from '../db/databaseUnavailable.ts';
import { refusalJson, suggestRetry } from './showRefusal.ts';

export const notFound: RequestHandler = (_req, _res, next) => {
  next(new Refusal(404, 'We could not find that page.'));
};

export function createErrorRenderer(logger: Logger, options: { showStackTraces: boolean }): ErrorRequestHandler {
  return (thrown: unknown, req, res, _next) => {
    // An outage of the database is not our bug: the member reads "try again" (503), not a 500.
    const error = !(thrown instanceof Refusal) && isDatabaseUnavailable(thrown) ? databaseUnavailable(thrown) : thrown;
    const status = httpStatusOf(error);
    const message = sentenceFor(error, status);
    if (status >= 500 && !(error instanceof Refusal))
      logger.error({ err: error, method: req.method, url: req.originalUrl }, 'Request failed');
    else if (error !== thrown)
      logger.warn(
        { err: thrown, method: req.method, url: req.originalUrl },
        'Request refused: the database is unavailable',
      );
    if (res.headersSent) return;
    res.status(status);
    suggestRetry(res, status);
    const requestId = res.locals.requestId;
    if (req.accepts(['html', 'json']) === 'json')
      return res.json({ ...(error instanceof Refusal ? refusalJson(error) : { error: message }), requestId });
    // A refusal is ours and its sentence says it all (a database outage included); only a failure's stack helps a developer.
    const stack =
      options.showStackTraces && status >= 500 && error instanceof Error && !(error instanceof Refusal)
        ? error.stack
        : undefined;
    res.render('pages/error.njk', { status, message, requestId, stack });
  };
}

/**
 * Only sentences we wrote reach users: a Refusal's own (whatever its status: 503 says storage
 * is unavailable), else one per status. Errors from libraries (send's "ENOENT: … '<absolute
 * path>'", body-parser's wording) carry paths and internals, so their messages stay in the logs.
 */
function sentenceFor(error: unknown, status: number): string {
  if (error instanceof Refusal) return error.message;
  return SENTENCE_BY_STATUS[status] ?? (status < 500 ? SENTENCE_BY_STATUS[400]! : SENTENCE_BY_STATUS[500]!);
}

const SENTENCE_BY_STATUS: Record<number, string> = {
  400: 'The request could not be read. Please try again from the page.',
  403: 'You are not allowed to do that.',
  404: 'We could not find that page.',
  408: 'The request took too long to arrive. Please try again.',
  413: 'That request is too large.',
  415: 'That kind of content is not accepted here.',
  500: 'Something went wrong on our side. Please try again.',
};

function httpStatusOf(error: unknown): number {
  if (error instanceof Refusal) return error.status;
  // body-parser and friends mark client errors with a 4xx status.
  const status = (error as { status?: unknown; statusCode?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}
