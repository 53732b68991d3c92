/**
 * A TCP proxy that can go silent: silence() stops every byte in both directions on open
 * connections and holds new ones unanswered — a black-holed database (a network partition, a
 * hung failover) where nothing is refused and nothing answers. speak() ends what it held, as
 * such a path's connections end once it recovers, and forwards new connections again.
 */
import net, { type AddressInfo } from 'node:net';

export interface SilenceableProxy {
  port: number;
  silence(): void;
  speak(): void;
  close(): Promise<void>;
}

export async function startSilenceableProxy(targetPort: number): Promise<SilenceableProxy> {
  const open = new Set<net.Socket>();
  let silent = false;
  const track = (socket: net.Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = net.createServer((client) => {
    track(client);
    if (silent) {
      client.pause();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    silence() {
      silent = true;
      for (const socket of open) {
        socket.unpipe();
        socket.pause();
      }
    },
    speak() {
      silent = false;
      for (const socket of open) socket.destroy();
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
