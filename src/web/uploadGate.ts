/**
 * Bounds the form uploads this instance receives and stores at once (UPLOADS_IN_FLIGHT): each
 * holds its encoded image variants (the original waits on disk) or a video's part buffers in
 * memory until S3 or the fallback has them, so when S3 turns slow, uploads must not pile up
 * until memory runs out. Past the bound, an upload waits
 * up to UPLOAD_WAIT_SECONDS for a slot, unread (the kernel's socket buffers hold what the
 * client sends meanwhile), as long as no more are waiting than may run; the rest get a 503 with
 * Retry-After, shown on the form they came from. A slot is held from before the body is read
 * until the answer is sent or the client is gone; a handler still storing for a client that
 * left is bounded by the S3 request timeouts (storage/requestBudget.ts).
 */
import type { RequestHandler, Response } from 'express';
import type { Logger } from '../logger.ts';
import { tooManyUploadsInFlight } from '../refusals/reasons.ts';

export interface UploadGate {
  /** The route guard: takes a slot, waits for one, or refuses with a 503 and Retry-After. */
  guard: RequestHandler;
  inFlight(): number;
  waiting(): number;
}

const MIN_RETRY_AFTER_SECONDS = 5;
/** A full gate is logged once per this, not once per refused upload. */
const LOG_EVERY_MS = 30_000;

interface Waiter {
  grant(): void;
}

export function createUploadGate({
  limit,
  waitMs,
  logger,
}: {
  limit: number;
  waitMs: number;
  logger: Logger;
}): UploadGate {
  let active = 0;
  const waiters: Waiter[] = [];
  const retryAfterSeconds = Math.max(MIN_RETRY_AFTER_SECONDS, Math.ceil(waitMs / 1000));
  let loggedAt = 0;

  const release = () => {
    active -= 1;
    const next = waiters.shift();
    if (next) next.grant();
  };

  /** Holds a slot until the response is over, whichever way it ends. */
  const hold = (res: Response) => {
    active += 1;
    let held = true;
    const letGo = () => {
      if (!held) return;
      held = false;
      release();
    };
    res.once('finish', letGo);
    res.once('close', letGo);
  };

  const refuse: RequestHandler = (_req, res, next) => {
    if (Date.now() - loggedAt > LOG_EVERY_MS) {
      loggedAt = Date.now();
      logger.warn(
        { uploadsInFlight: active, uploadsWaiting: waiters.length },
        `Refusing uploads with 503: ${active} are in flight (UPLOADS_IN_FLIGHT=${limit}) and ${waiters.length} waiting`,
      );
    }
    res.setHeader('Retry-After', String(retryAfterSeconds));
    next(tooManyUploadsInFlight(retryAfterSeconds));
  };

  const guard: RequestHandler = (req, res, next) => {
    if (active < limit) {
      hold(res);
      return next();
    }
    if (waitMs === 0 || waiters.length >= limit) return refuse(req, res, next);
    let settled = false;
    const waiter: Waiter = {
      grant() {
        settled = true;
        clearTimeout(timer);
        res.off('close', gone);
        hold(res);
        next();
      },
    };
    const leave = () => {
      settled = true;
      const index = waiters.indexOf(waiter);
      if (index >= 0) waiters.splice(index, 1);
    };
    const timer = setTimeout(() => {
      leave();
      refuse(req, res, next);
    }, waitMs);
    // A client that gives up while waiting frees its place in the queue.
    const gone = () => {
      if (settled) return;
      clearTimeout(timer);
      leave();
    };
    res.once('close', gone);
    waiters.push(waiter);
  };

  return { guard, inFlight: () => active, waiting: () => waiters.length };
}
