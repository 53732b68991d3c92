/** Addresses for fault tests: everything stays on 127.0.0.1. */
import { createServer, type AddressInfo } from 'node:net';

/** An http endpoint on a port that was just free and is now closed: connections are refused. */
export async function closedPortEndpoint(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

/** A port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
