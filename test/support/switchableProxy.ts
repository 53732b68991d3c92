/**
 * A TCP proxy in front of a real S3 server that can be switched off and on, so "S3 is down"
 * is real for every process pointed at it (app instances and the worker alike): down() destroys
 * open connections and refuses new ones at once (ECONNRESET), up() forwards again.
 */
import { startTcpProxy } from './tcpProxy.ts';

export interface SwitchableProxy {
  endpoint: string;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

export async function startSwitchableProxy(target: string): Promise<SwitchableProxy> {
  const { hostname, port } = new URL(target);
  let isUp = true;
  const proxy = await startTcpProxy({ host: hostname, port: Number(port) }, (client) => {
    if (!isUp) client.resetAndDestroy();
    return isUp;
  });
  return {
    endpoint: `http://127.0.0.1:${proxy.port}`,
    down() {
      isUp = false;
      for (const socket of proxy.sockets) socket.resetAndDestroy();
    },
    up() {
      isUp = true;
    },
    close: proxy.close,
  };
}
