/**
 * Refusals every client can read. When we answer before the request body has arrived (a
 * declared size over the limit, not logged in, a bad CSRF token, a rate limit), closing the
 * socket at once throws away what the client still sends, and the kernel answers it with a
 * reset: curl and browsers read the status anyway, but Node's fetch reports "fetch failed"
 * and Python's urllib "[Errno 32] Broken pipe" — Python reads the answer only once it has sent
 * everything. So, like nginx's lingering close, we finish the answer and keep reading and
 * discarding the rest (never keeping it) within a byte bound and a time bound; past either, the
 * socket is closed. A body that arrives in full leaves a keep-alive connection usable.
 */
import type { Socket } from 'node:net';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../logger.ts';

export interface LingerBounds {
  /** Bytes of an unread body read and discarded after the answer, at most. */
  maxBytes: number;
  /** How long after the answer the rest of the body may take to arrive. */
  maxMs: number;
}

/** Installs the lingering close on every request; early in the chain, so every answer is covered. */
export function lingerOnUnreadBody(bounds: LingerBounds, logger: Logger): RequestHandler {
  return (req, res, next) => {
    // 'prefinish' comes before Node's own 'finish' handler, which would otherwise dump the body
    // without bounds, or (on a connection that closes after this answer) destroy the socket
    // under the unread bytes.
    res.once('prefinish', () => {
      if (!req.complete && !req.destroyed) discardRestOfBody(req, res, bounds, logger);
    });
    next();
  };
}

function discardRestOfBody(req: Request, res: Response, { maxBytes, maxMs }: LingerBounds, logger: Logger): void {
  const socket: Socket = req.socket;
  let discarded = 0;
  /** Set when Node meant to close the connection after this answer: then we close it, once done. */
  let closeWhenDone = false;
  const stop = () => {
    clearTimeout(timer);
    req.off('data', count);
    if (closeWhenDone) socket.destroy();
  };
  const cut = (why: string) => {
    logger.info({ discardedBytes: discarded, url: req.originalUrl }, `Closed a refused request's connection: ${why}`);
    closeWhenDone = true;
    stop();
  };
  const count = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > maxBytes) cut(`its body went on past ${maxBytes} bytes`);
  };
  const timer = setTimeout(() => cut(`its body took longer than ${maxMs} ms`), maxMs);
  timer.unref();
  req.on('data', count);
  req.once('end', stop);
  req.once('close', stop);
  req.resume();
  // When the client asked to close (Python sends "Connection: close") Node half-closes the socket
  // after the answer (socket.destroySoon: end, then destroy once written). The half-close is
  // what nginx does too; the destroy would reset the connection under the bytes still coming,
  // so it waits until the body is read or a bound is passed.
  res.once('finish', () => {
    if (req.complete || socket.destroyed) return;
    if (socket.listeners('finish').includes(socket.destroy)) {
      socket.removeListener('finish', socket.destroy);
      closeWhenDone = true;
    }
  });
}
