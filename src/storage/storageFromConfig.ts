/** Wires the storage adapters from configuration; shared by the server and the CLI tools. */
import type { AppConfig, BackupBucketSettings, S3Settings } from '../config.js';
import { withCircuitBreaker, type BreakerOptions, type GuardedAdapter } from './circuitBreaker.js';
import type { StorageAdapter } from './contract.js';
import { createLocalAdapter } from './adapters/local.js';
import { createS3Adapter, publicBaseUrlFor } from './adapters/s3.js';
import { createS3Client } from './s3Client.js';

export interface ConfiguredAdapters {
  /** S3 behind its circuit breaker, when USE_CLOUD_STORAGE is on. */
  s3: GuardedAdapter | undefined;
  local: StorageAdapter;
  backup: StorageAdapter | undefined;
  /** Origins that serve images besides the app (for the Content-Security-Policy). */
  imageOrigins: string[];
}

export function s3AdapterFor(settings: S3Settings | (BackupBucketSettings & { cdnBaseUrl?: undefined })): StorageAdapter {
  const publicBaseUrl = publicBaseUrlFor({ ...settings, cdnBaseUrl: settings.cdnBaseUrl });
  return createS3Adapter({ client: createS3Client(settings), bucket: settings.bucket, publicBaseUrl });
}

export function adaptersFromConfig(config: Pick<AppConfig, 's3' | 'localStorageDir'>, breaker: BreakerOptions = {}): ConfiguredAdapters {
  const local = createLocalAdapter({ rootDir: config.localStorageDir, publicPath: '/static' });
  if (!config.s3) return { s3: undefined, local, backup: undefined, imageOrigins: [] };
  const s3 = withCircuitBreaker(s3AdapterFor(config.s3), breaker);
  const backup = config.s3.backup ? s3AdapterFor(config.s3.backup) : undefined;
  return { s3, local, backup, imageOrigins: [new URL(publicBaseUrlFor(config.s3)).origin] };
}
