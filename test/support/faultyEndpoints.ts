/**
 * S3 endpoints that misbehave on purpose, on 127.0.0.1: a black hole that accepts
 * connections and never answers, and a proxy that answers the first upload with
 * 503 SlowDown and forwards everything else to a real S3 server. A real server cannot be
 * asked to do either.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

export interface BlackHole {
  endpoint: string;
  connections(): number;
  close(): Promise<void>;
}

export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => accepted,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface SlowDownProxy {
  endpoint: string;
  /** How many requests were answered 503 SlowDown. */
  throttled(): number;
  close(): Promise<void>;
}

const SLOW_DOWN =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

/** Forwards to `target` untouched (the Host header too, so SigV4 signatures still verify). */
export async function startSlowDownProxy(target: string, throttleFirst = 1): Promise<SlowDownProxy> {
  const upstream = new URL(target);
  let throttled = 0;
  const server = http.createServer((req, res) => {
    if (req.method === 'PUT' && throttled < throttleFirst) {
      throttled += 1;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' }).end(SLOW_DOWN);
      return;
    }
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    throttled: () => throttled,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
