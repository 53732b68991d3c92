/**
 * A slow S3, on 127.0.0.1, in front of a real S3 server: what a real MinIO cannot be asked to
 * be. Two kinds, each switchable while the app runs so a test can measure "normal" and "slow"
 * against the same process:
 *   - startDelayingProxy: an HTTP proxy that holds every request `delayMs` before forwarding
 *     it (Host header kept, so SigV4 signatures verify), and counts the PUTs in flight;
 *   - startThrottlingProxy: a TCP proxy that passes at most `bytesPerSecond` each way on every
 *     connection, headers included, as a saturated link would.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

export interface DelayingProxy {
  endpoint: string;
  /** 0 forwards at once. */
  setDelay(ms: number): void;
  /** Requests and PUTs (uploads) received, PUTs open now, and the most ever open at once since reset. */
  stats(): { requests: number; puts: number; putsInFlight: number; maxPutsInFlight: number };
  resetStats(): void;
  close(): Promise<void>;
}

export async function startDelayingProxy(target: string): Promise<DelayingProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let delayMs = 0;
  let requests = 0;
  let puts = 0;
  let putsInFlight = 0;
  let maxPutsInFlight = 0;
  const pending = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    requests += 1;
    const isPut = req.method === 'PUT';
    if (isPut) {
      puts += 1;
      maxPutsInFlight = Math.max(maxPutsInFlight, ++putsInFlight);
    }
    let counted = isPut;
    const done = () => {
      if (counted) putsInFlight -= 1;
      counted = false;
    };
    res.once('close', done);
    const forward = () => {
      const outgoing = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      outgoing.on('error', () => res.destroy());
      req.pipe(outgoing);
    };
    if (delayMs === 0) return forward();
    // The body waits in the socket meanwhile, as it would at a slow server.
    req.pause();
    const timer = setTimeout(() => {
      pending.delete(timer);
      if (!res.destroyed) forward();
    }, delayMs);
    pending.add(timer);
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setDelay(ms) {
      delayMs = ms;
    },
    stats: () => ({ requests, puts, putsInFlight, maxPutsInFlight }),
    resetStats() {
      requests = 0;
      puts = 0;
      maxPutsInFlight = putsInFlight;
    },
    close: () =>
      new Promise((resolve) => {
        for (const timer of pending) clearTimeout(timer);
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface ThrottlingProxy {
  endpoint: string;
  /** undefined passes bytes at full speed. */
  setBytesPerSecond(rate: number | undefined): void;
  close(): Promise<void>;
}

/** Bytes are released every tick, a tick's share of the rate at a time. */
const TICK_MS = 100;

export async function startThrottlingProxy(target: string): Promise<ThrottlingProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const pipes = new Set<ThrottledPipe>();
  let rate: number | undefined;
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = net.createServer((client) => {
    track(client);
    const upstream = net.connect(Number(port), hostname);
    track(upstream);
    for (const pipe of [throttledPipe(client, upstream, () => rate), throttledPipe(upstream, client, () => rate)]) {
      pipes.add(pipe);
      void pipe.closed.then(() => pipes.delete(pipe));
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setBytesPerSecond(next) {
      rate = next;
      for (const pipe of pipes) pipe.wake();
    },
    close: () =>
      new Promise((resolve) => {
        for (const pipe of pipes) pipe.stop();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

interface ThrottledPipe {
  /** Re-reads the rate (after it changed). */
  wake(): void;
  stop(): void;
  closed: Promise<void>;
}

/** Copies `from` to `to` at `rate()` bytes per second, or at once while it is undefined. */
function throttledPipe(from: net.Socket, to: net.Socket, rate: () => number | undefined): ThrottledPipe {
  const queue: Buffer[] = [];
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const flush = () => {
    timer = undefined;
    let budget = rate() === undefined ? Number.POSITIVE_INFINITY : Math.max(1, Math.floor((rate()! * TICK_MS) / 1000));
    while (queue.length > 0 && budget > 0 && !to.destroyed) {
      const chunk = queue[0]!;
      const part = chunk.subarray(0, Math.min(chunk.length, budget));
      to.write(part);
      budget -= part.length;
      if (part.length === chunk.length) queue.shift();
      else queue[0] = chunk.subarray(part.length);
    }
    if (queue.length > 0) {
      // At most a second's worth queued: the sender is held back like a full link would hold it.
      timer = setTimeout(flush, TICK_MS);
      return;
    }
    from.resume();
    if (ended) to.end();
  };
  const schedule = () => {
    if (timer === undefined) timer = setTimeout(flush, rate() === undefined ? 0 : TICK_MS);
  };
  from.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    if (rate() !== undefined) from.pause();
    schedule();
  });
  from.on('end', () => {
    ended = true;
    schedule();
  });
  const closed = new Promise<void>((resolve) =>
    from.once('close', () => {
      if (timer !== undefined) clearTimeout(timer);
      resolve();
    }),
  );
  return {
    wake() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      schedule();
    },
    stop() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
    closed,
  };
}
