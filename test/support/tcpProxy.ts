/**
 * A TCP proxy on 127.0.0.1 in front of a real server, the base of the fault proxies
 * (switchableProxy.ts, silenceableProxy.ts): every socket it holds, both sides, is tracked, so
 * a fault can act on the open connections too, and close() leaves none behind.
 */
import net, { type AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Every open socket, client and upstream sides. */
  sockets: ReadonlySet<net.Socket>;
  close(): Promise<void>;
}

/**
 * `admit` sees each new client first: true forwards it to the target; false means admit has
 * dealt with it (refused it, left it hanging).
 */
export async function startTcpProxy(
  target: { host: string; port: number },
  admit: (client: net.Socket) => boolean = () => true,
): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = net.createServer((client) => {
    track(client);
    if (!admit(client)) return;
    const upstream = net.connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sockets,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
