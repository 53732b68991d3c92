/** WORKER, JOB_LEASE_SECONDS, WORKER_CONCURRENCY, STORAGE_GC_EVERY_HOURS and the outage-store bounds, read by loadConfig. */
import { describe, expect, it } from 'vitest';
import { type ConfigError, loadConfig } from '../../src/config.ts';

const load = (env: Record<string, string>) => loadConfig(env, '/srv/app');
const problemsOf = (env: Record<string, string>) => {
  try {
    load(env);
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
};

describe('worker settings', () => {
  it('defaults: the worker runs inside the app, one job at a time, 30 s leases, daily gc, 50/512 MB outage store', () => {
    expect(load({})).toMatchObject({
      worker: 'inline',
      jobLeaseSeconds: 30,
      workerConcurrency: 1,
      storageGcEveryHours: 24,
      fallbackMaxFileBytes: 50 * 1024 * 1024,
      fallbackMaxTotalBytes: 512 * 1024 * 1024,
    });
  });

  it('an external worker on PostgreSQL runs as many jobs as there are cores unless told', () => {
    const config = load({ WORKER: 'external', DATABASE_URL: 'postgres://u:p@db.internal:5432/vv' });
    expect(config.worker).toBe('external');
    expect(config.workerConcurrency).toBeGreaterThanOrEqual(1);
    expect(
      load({ WORKER: 'External', DATABASE_URL: 'postgres://u:p@db.internal/vv', WORKER_CONCURRENCY: '3' }),
    ).toMatchObject({ worker: 'external', workerConcurrency: 3 });
  });

  it('refuses an external worker on the embedded database, with what to do instead', () => {
    expect(problemsOf({ WORKER: 'external' })).toEqual([
      'WORKER=external needs DATABASE_URL: a separate worker process cannot open the embedded database. Leave WORKER unset and npm start runs the worker inside the app.',
    ]);
  });

  it('names each bad value', () => {
    expect(
      problemsOf({
        WORKER: 'sometimes',
        JOB_LEASE_SECONDS: '1',
        FALLBACK_MAX_FILE_MB: '600',
        FALLBACK_MAX_TOTAL_MB: '500',
      }),
    ).toEqual([
      'WORKER must be "inline" or "external" (got "sometimes")',
      'JOB_LEASE_SECONDS must be at least 2 (got 1)',
      'FALLBACK_MAX_FILE_MB must not be more than FALLBACK_MAX_TOTAL_MB',
    ]);
  });
});
