/**
 * A TCP proxy in front of the S3 server that fails it halfway through an upload: it forwards
 * until `cutAfterBytes` bytes have gone upstream, then resets every open connection and every
 * new one, as an S3 endpoint that dies mid-transfer does. arm() starts counting afresh.
 */
import net, { type AddressInfo } from 'node:net';

export interface CuttingProxy {
  endpoint: string;
  /** Forward again, and cut once `cutAfterBytes` more bytes have gone upstream. */
  arm(cutAfterBytes: number): void;
  /** Whether the cut has happened since the last arm(). */
  cut(): boolean;
  close(): Promise<void>;
}

export async function startCuttingProxy(target: string): Promise<CuttingProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  let budget = Number.POSITIVE_INFINITY;
  let isCut = false;
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const cutNow = () => {
    isCut = true;
    for (const socket of sockets) socket.resetAndDestroy();
  };
  const server = net.createServer((client) => {
    track(client);
    if (isCut) return void client.resetAndDestroy();
    const upstream = net.connect(Number(port), hostname);
    track(upstream);
    client.on('data', (chunk: Buffer) => {
      budget -= chunk.length;
      if (budget < 0) return cutNow();
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    arm(cutAfterBytes) {
      budget = cutAfterBytes;
      isCut = false;
    },
    cut: () => isCut,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
