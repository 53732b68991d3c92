import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createLocalAdapter } from '../../src/storage/adapters/local.ts';
import { createStaticRoutes } from '../../src/web/staticFiles.ts';
import { runStorageAdapterContract } from './contract.ts';

runStorageAdapterContract('local', async () => {
  const rootDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-local-'));
  // Served by the app's real static routes, as a browser would meet them.
  const app = express().use(createStaticRoutes({ assetsDir: path.resolve('static'), localStorageDir: rootDir }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    adapter: createLocalAdapter({ rootDir, publicPath: '/static' }),
    listRaw: async (folder) => (await fs.readdir(path.join(rootDir, folder)).catch(() => [])).sort(),
    fetchPublic: (url) => fetch(new URL(url, origin)),
    cleanup: async () => {
      server.close();
      await fs.rm(rootDir, { recursive: true, force: true });
    },
  };
});
