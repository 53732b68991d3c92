/**
 * Draining on SIGTERM, for clients that keep connections alive (browsers, Render's proxy).
 * server.close() stops accepting connections, but a connection that is busy at that moment
 * is not idle, so closeIdleConnections() leaves it open — and Node goes on serving every later
 * request on it, so a steady client keeps the instance answering, and the drain waiting, until
 * the grace period kills it. From here on every response says `Connection: close` (Node then
 * ends the socket after it), and connections that went idle meanwhile are closed as well.
 */
import type { Server } from 'node:http';

const SWEEP_INTERVAL_MS = 250;

export function closeKeptAliveConnections(server: Server): void {
  server.on('request', (_req, res) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  });
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_INTERVAL_MS);
  sweep.unref();
  server.once('close', () => clearInterval(sweep));
}
