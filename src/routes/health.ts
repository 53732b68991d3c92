/**
 * GET /healthz for Render's health check. Always 200 while the app can serve pages: images
 * still upload when S3 is away (local fallback), so S3 trouble is reported in the body
 * ("degraded"), not turned into a failing check that would restart a working app. Anonymous
 * callers get the status only: the last S3 error, the breaker state and the counts help an
 * attacker time an outage, so they go to a caller with HEALTHZ_TOKEN (and to the logs).
 * Each instance adds its own id, and the shared job queue's figures (jobs/jobsHealth.ts).
 */
import type { RequestHandler } from 'express';
import type { StorageHealth } from '../files/storageHealth.ts';
import type { FallbackUsage } from '../files/fallbackBlobs.ts';
import type { JobsHealthReport } from '../jobs/jobsHealth.ts';
import { hasBearerToken } from '../web/bearerToken.ts';
import type { DatabaseProbe } from '../db/databaseProbe.ts';
import { within } from '../within.ts';

/** How long /healthz waits for figures read from the database before answering without them. */
const FIGURES_WITHIN_MS = 2_000;

export function createHealthHandlers({
  storageHealth,
  healthzToken,
  jobsHealth,
  instance,
  outageStore,
  database,
}: {
  storageHealth: StorageHealth;
  healthzToken: string | undefined;
  jobsHealth?: { report(): Promise<JobsHealthReport> };
  /** This process, e.g. '<hostname>:<pid>': the figures below the storage view are per instance. */
  instance?: string;
  /** The outage store in PostgreSQL (PostgreSQL + S3 only): what it holds for S3. */
  outageStore?: { usage(): Promise<FallbackUsage> };
  /** Whether the database answers now (db/databaseProbe.ts); bounded in time, so /healthz answers during an outage. */
  database?: DatabaseProbe;
}) {
  const MB = 1024 * 1024;
  const show: RequestHandler = async (req, res) => {
    const jobsUnread = { jobs: undefined, reasons: ['The job queue could not be read.'] };
    const [databaseProblem, storage, jobs, fallback] = await Promise.all([
      database?.(),
      storageHealth.report(),
      // A silent database would hold these for the pool's query timeout; /healthz answers first.
      jobsHealth && within(jobsHealth.report(), FIGURES_WITHIN_MS, jobsUnread).catch(() => jobsUnread),
      outageStore && within(outageStore.usage(), FIGURES_WITHIN_MS, undefined).catch(() => undefined),
    ]);
    // While the database is away the figures below it are stale or missing: its sentence comes first.
    const reasons = [...(databaseProblem ? [databaseProblem] : []), ...storage.reasons, ...(jobs?.reasons ?? [])];
    if (fallback && fallback.bytes >= 0.8 * fallback.limitBytes)
      reasons.push(
        `The outage store is ${Math.round((100 * fallback.bytes) / fallback.limitBytes)} % full (${Math.round(fallback.bytes / MB)} of ${Math.round(fallback.limitBytes / MB)} MB) while S3 is down; uploads will be refused when it is full.`,
      );
    const status = reasons.length > 0 ? 'degraded' : 'ok';
    res.set('Cache-Control', 'no-store');
    res.json(
      hasBearerToken(req, healthzToken)
        ? {
            ...storage,
            status,
            reasons,
            database: { reachable: databaseProblem === undefined },
            ...(instance && { instance }),
            ...(jobs?.jobs && { jobs: jobs.jobs }),
            ...(fallback && { fallback }),
          }
        : { status },
    );
  };
  return { show };
}
