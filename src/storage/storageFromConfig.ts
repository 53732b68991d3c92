/** Wires the storage adapters from configuration; shared by the server and the CLI tools. */
import type { AppConfig } from '../config.js';
import type { StorageAdapter } from './contract.js';
import { createLocalAdapter } from './adapters/local.js';
import { createS3Adapter, publicBaseUrlFor } from './adapters/s3.js';
import { createS3Client } from './s3Client.js';

export interface ConfiguredAdapters {
  s3: StorageAdapter | undefined;
  local: StorageAdapter;
  /** Origins that serve images besides the app (for the Content-Security-Policy). */
  imageOrigins: string[];
}

export function adaptersFromConfig(config: Pick<AppConfig, 's3' | 'localStorageDir'>): ConfiguredAdapters {
  const local = createLocalAdapter({ rootDir: config.localStorageDir, publicPath: '/static' });
  if (!config.s3) return { s3: undefined, local, imageOrigins: [] };
  const publicBaseUrl = publicBaseUrlFor(config.s3);
  const s3 = createS3Adapter({ client: createS3Client(config.s3), bucket: config.s3.bucket, publicBaseUrl });
  return { s3, local, imageOrigins: [new URL(publicBaseUrl).origin] };
}
