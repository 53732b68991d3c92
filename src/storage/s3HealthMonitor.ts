/**
 * Remembers whether S3 answered recently, so /healthz (polled by Render every few seconds)
 * stays cheap: at most one HeadBucket per `ttlMs`, run in the background, never per request.
 */
import type { StorageAdapter } from './contract.js';

export interface S3HealthStatus {
  configured: boolean;
  /** undefined until the first probe has finished. */
  reachable: boolean | undefined;
  checkedAt: string | undefined;
}

export interface S3HealthMonitor {
  status(): S3HealthStatus;
  /** Probes now (deduplicated with any probe in flight) and returns the fresh status. */
  refresh(): Promise<S3HealthStatus>;
}

export function createS3HealthMonitor(adapter: StorageAdapter | undefined, ttlMs = 30_000): S3HealthMonitor {
  let reachable: boolean | undefined;
  let checkedAt: number | undefined;
  let inFlight: Promise<S3HealthStatus> | undefined;

  const snapshot = (): S3HealthStatus => ({
    configured: adapter !== undefined,
    reachable,
    checkedAt: checkedAt === undefined ? undefined : new Date(checkedAt).toISOString(),
  });

  const refresh = (): Promise<S3HealthStatus> => {
    if (!adapter) return Promise.resolve(snapshot());
    inFlight ??= adapter.isAvailable().then((ok) => {
      reachable = ok;
      checkedAt = Date.now();
      inFlight = undefined;
      return snapshot();
    });
    return inFlight;
  };

  return {
    status() {
      if (adapter && (checkedAt === undefined || Date.now() - checkedAt > ttlMs)) void refresh();
      return snapshot();
    },
    refresh,
  };
}
