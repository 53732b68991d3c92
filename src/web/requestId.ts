/**
 * Gives every request an id: the caller's `X-Request-Id` when it is well-formed (Render's
 * router and most proxies send one), otherwise a fresh UUID. It is echoed in the response
 * header, shown on error pages, and stamped on every log line written while the request is
 * served (see requestContext), so a member's "request id" finds the operator the exact lines.
 * One summary line per request is logged when the response is finished.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.ts';
import { requestContext } from '../requestContext.ts';

const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{8,128}$/;

declare module 'express-serve-static-core' {
  interface Locals {
    requestId?: string;
  }
}

export function createRequestIdMiddleware(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const sent = req.get('x-request-id');
    const reqId = sent !== undefined && WELL_FORMED_ID.test(sent) ? sent : randomUUID();
    res.locals.requestId = reqId;
    res.setHeader('X-Request-Id', reqId);
    const started = performance.now();
    res.on('finish', () => {
      // The path only: a query string may carry a presigned signature or a token.
      const line = {
        reqId,
        method: req.method,
        path: req.originalUrl.split('?')[0],
        status: res.statusCode,
        durationMs: Math.round(performance.now() - started),
      };
      // Render polls /healthz every few seconds; those lines are noise unless debugging.
      if (line.path === '/healthz') logger.debug(line, 'request');
      else logger.info(line, 'request');
    });
    requestContext.run({ reqId }, next);
  };
}
