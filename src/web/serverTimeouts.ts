/**
 * The HTTP server's timeouts, chosen for uploads over slow phones that must still bound a
 * slow-loris. The default largest video (500 MB) at 1.2 Mbit/s takes about 58 minutes, so the whole
 * request may take REQUEST_TIMEOUT_SECONDS (an hour); what a slow-loris cannot do is go quiet: a connection with
 * no byte in either direction for REQUEST_IDLE_TIMEOUT_SECONDS (60 s) is closed, whatever it
 * is doing, and the request line and headers must arrive within HEADERS_TIMEOUT_SECONDS.
 * Node's defaults let a body sent one byte every 4 s hold a request for 5 minutes.
 */
import type { Server } from 'node:http';
import type { WebHardening } from '../config/webHardening.ts';
import type { Logger } from '../logger.ts';

export type ServerTimeouts = Pick<
  WebHardening,
  'requestTimeoutMs' | 'headersTimeoutMs' | 'keepAliveTimeoutMs' | 'requestIdleTimeoutMs'
>;

/** Call right after listen() returns: the checking interval is read when the server starts listening. */
export function applyServerTimeouts(server: Server, timeouts: ServerTimeouts, logger: Logger): void {
  server.requestTimeout = timeouts.requestTimeoutMs;
  server.headersTimeout = timeouts.headersTimeoutMs;
  // Longer than the idle timeout of the proxy in front (Render's is 60 s), so it never reuses a connection we just closed.
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  // Node checks the request and header deadlines on an interval (30 s by default); check often
  // enough that a short deadline is not overshot by much. It is a documented createServer()
  // option, but app.listen() creates the server, and Node reads the field when listening starts.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(
    250,
    Math.min(30_000, Math.floor(Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs) / 4)),
  );
  // Idle: no byte read or written for this long. With a listener, closing the socket is ours to do.
  server.setTimeout(timeouts.requestIdleTimeoutMs, (socket) => {
    logger.info(
      // The port tells one client's connections apart (and lets a test find its own line).
      { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort },
      `Closed a connection idle for ${timeouts.requestIdleTimeoutMs / 1000} s`,
    );
    socket.destroy();
  });
}
