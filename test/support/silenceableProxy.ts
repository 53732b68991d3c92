/**
 * A TCP proxy that can go silent: silence() stops every byte in both directions on open
 * connections and holds new ones unanswered — a black-holed database (a network partition, a
 * hung failover) where nothing is refused and nothing answers. speak() ends what it held, as
 * such a path's connections end once it recovers, and forwards new connections again.
 */
import { startTcpProxy } from './tcpProxy.ts';

export interface SilenceableProxy {
  port: number;
  silence(): void;
  speak(): void;
  close(): Promise<void>;
}

export async function startSilenceableProxy(targetPort: number): Promise<SilenceableProxy> {
  let silent = false;
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: targetPort }, (client) => {
    if (silent) client.pause();
    return !silent;
  });
  return {
    port: proxy.port,
    silence() {
      silent = true;
      for (const socket of proxy.sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
    speak() {
      silent = false;
      for (const socket of proxy.sockets) socket.destroy();
    },
    close: proxy.close,
  };
}
