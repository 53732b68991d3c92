/**
 * What /healthz reports about storage, kept cheap: Render polls it every few seconds, so
 * S3 is probed (HeadBucket) at most every `probeEveryMs` in the background — a request never
 * waits on S3 — and the outbox is counted at most every few seconds. While S3 keeps failing
 * for a configuration reason, one clear line per minute tells the operator what to fix.
 */
import type { AppDatabase } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { BreakerStatus, GuardedAdapter } from '../storage/circuitBreaker.ts';
import type { PublicReadProbe, PublicReadState } from './publicReadProbe.ts';
import type { StorageErrorCode, StorageLocation } from '../storage/contract.ts';
import { publicReadBlockedSentence, s3ProblemSentence } from '../storage/healthCauses.ts';
import type { MediaDelivery } from '../storage/imageUrls.ts';
import { summariseOutbox, type OutboxSummary } from './outbox.ts';
import type { DiskReport, DiskSpace } from './diskSpace.ts';
import { within } from '../within.ts';

export interface StorageHealthReport {
  status: 'ok' | 'degraded';
  reasons: string[];
  storage: {
    mode: StorageLocation;
    s3: {
      configured: boolean;
      reachable: boolean | undefined;
      checkedAt: string | undefined;
      breaker: BreakerStatus['state'] | undefined;
      lastError: string | undefined;
      /** What the health probe itself found wrong (not only the last upload): InvalidCredentials, NoSuchBucket… */
      problem: StorageErrorCode | undefined;
      /** S3_SLOW_MS: a request not answered within this is abandoned as slow (a Timeout opens the breaker). */
      slowAfterMs: number | undefined;
    };
    /** How pages link to S3 files (IMAGE_URL_MODE / VIDEO_URL_MODE); undefined in local mode. */
    delivery: { images: string; videos: string } | undefined;
    /** In public mode: whether an anonymous browser request for a stored file succeeds. */
    publicRead: PublicReadState['state'] | undefined;
    pending: { count: number; oldestAgeSeconds: number | null };
    lost: number;
    /** missing: files in S3 with no verified copy in the backup bucket (queued or not). */
    backup: { configured: boolean; pending: number; missing: number; oldestAgeSeconds: number | null };
    /** Free space of each local directory the app writes to (files/diskSpace.ts). */
    disks: DiskReport[] | undefined;
  };
}

export interface StorageHealth {
  /** Never waits on S3; recounts the outbox (one indexed query) when the last count is older than a few seconds. */
  report(): Promise<StorageHealthReport>;
  /** Probes S3 and recounts the outbox now; resolves with the fresh report. */
  refresh(): Promise<StorageHealthReport>;
  start(): void;
  stop(): void;
}

const OUTBOX_TTL_MS = 3_000;
const COUNT_WITHIN_MS = 2_000;
const ALARM_EVERY_MS = 60_000;

export function createStorageHealth(deps: {
  db: AppDatabase;
  s3: GuardedAdapter | undefined;
  backupConfigured: boolean;
  logger: Logger;
  probeEveryMs?: number;
  /** Named in the report and in reasons. */
  bucket?: string | undefined;
  delivery?: MediaDelivery | undefined;
  publicRead?: PublicReadProbe | undefined;
  /** S3_SLOW_MS, named when slowness opened the breaker. */
  slowAfterMs?: number | undefined;
  /** The local disks uploads are written to; measured on every report (a statfs each, no I/O on the files). */
  diskSpace?: DiskSpace | undefined;
}): StorageHealth {
  const { db, s3, logger } = deps;
  const probeEveryMs = deps.probeEveryMs ?? 30_000;
  let reachable: boolean | undefined;
  let problem: StorageErrorCode | undefined;
  let publicRead: PublicReadState | undefined;
  let checkedAt: number | undefined;
  let outbox: OutboxSummary = {
    pending: 0,
    oldestPendingAgeSeconds: null,
    backupPending: 0,
    oldestBackupAgeSeconds: null,
    backupMissing: 0,
    lost: 0,
  };
  let outboxAt = 0;
  let probing: Promise<void> | undefined;
  let counting: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastAlarmAt = 0;

  const probe = (): Promise<void> => {
    if (!s3) return Promise.resolve();
    if (probing !== undefined) return probing;
    const asked = s3.probe
      ? s3.probe().then((found) => {
          problem = found?.code;
          return found === undefined;
        })
      : s3.isAvailable();
    probing = asked
      .then(async (ok) => {
        reachable = ok;
        if (!s3.probe) problem = ok ? undefined : 'Unreachable';
        // Only a bucket that answers can say whether browsers may read it.
        publicRead = ok && deps.publicRead ? await deps.publicRead() : undefined;
        checkedAt = Date.now();
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'The S3 health probe failed'))
      .finally(() => (probing = undefined));
    return probing;
  };

  const count = (): Promise<void> => {
    counting ??= summariseOutbox(db)
      .then((summary) => {
        outbox = summary;
        outboxAt = Date.now();
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'Could not count pending copies for /healthz'))
      .finally(() => (counting = undefined));
    return counting;
  };

  const report = (disks: { reasons: string[]; disks: DiskReport[] } | undefined): StorageHealthReport => {
    const breaker = s3?.breakerStatus();
    const lastFailure = breaker?.lastFailure;
    const reasons: string[] = [];
    if (s3 && reachable === false) reasons.push(s3ProblemSentence(problem ?? 'Unreachable', deps.bucket));
    if (publicRead?.state === 'blocked') reasons.push(publicReadBlockedSentence(publicRead.url, publicRead.status));
    if (breaker && breaker.state !== 'closed')
      reasons.push(`The S3 circuit breaker is ${breaker.state} after: ${lastFailure?.message ?? 'a failure'}.`);
    if (breaker && breaker.state !== 'closed' && lastFailure?.code === 'Timeout' && deps.slowAfterMs !== undefined)
      reasons.push(
        `S3 is too slow: it did not answer within ${deps.slowAfterMs} ms (S3_SLOW_MS), so new uploads go to the fallback until a trial request is answered in time.`,
      );
    if (lastFailure?.configuration && breaker?.state !== 'closed')
      reasons.push(
        `S3 rejects our configuration (${lastFailure.code}); fix the AWS_* settings — \`npm run storage:check\` names the cause.`,
      );
    if (outbox.lost > 0)
      reasons.push(`${outbox.lost} image(s) were lost from local disk before reaching S3 and show as placeholders.`);
    reasons.push(...(disks?.reasons ?? []));
    return {
      status: reasons.length > 0 ? 'degraded' : 'ok',
      reasons,
      storage: {
        mode: s3 ? 's3' : 'local',
        s3: {
          configured: s3 !== undefined,
          reachable,
          checkedAt: checkedAt === undefined ? undefined : new Date(checkedAt).toISOString(),
          breaker: breaker?.state,
          lastError: lastFailure ? `${lastFailure.code} at ${lastFailure.at.toISOString()}` : undefined,
          problem,
          slowAfterMs: s3 ? deps.slowAfterMs : undefined,
        },
        delivery:
          s3 && deps.delivery ? { images: deps.delivery.imageMode, videos: deps.delivery.videoMode } : undefined,
        publicRead: publicRead?.state,
        pending: { count: outbox.pending, oldestAgeSeconds: outbox.oldestPendingAgeSeconds },
        lost: outbox.lost,
        backup: {
          configured: deps.backupConfigured,
          pending: outbox.backupPending,
          missing: deps.backupConfigured ? outbox.backupMissing : 0,
          oldestAgeSeconds: outbox.oldestBackupAgeSeconds,
        },
        disks: disks?.disks,
      },
    };
  };

  const soundAlarm = () => {
    const failure = s3?.breakerStatus().lastFailure;
    if (!failure?.configuration || s3?.breakerStatus().state === 'closed' || Date.now() - lastAlarmAt < ALARM_EVERY_MS)
      return;
    lastAlarmAt = Date.now();
    logger.error(
      { s3ErrorCode: failure.code },
      `S3 is misconfigured (${failure.code}): images are being kept on local disk. Fix the AWS_* settings; \`npm run storage:check\` names the cause.`,
    );
  };

  return {
    async report() {
      if (s3 && (checkedAt === undefined || Date.now() - checkedAt > probeEveryMs)) void probe();
      // A recount waits at most COUNT_WITHIN_MS: with the database silent, the last figures are shown.
      const recount = Date.now() - outboxAt > OUTBOX_TTL_MS ? count() : undefined;
      const [disks] = await Promise.all([
        deps.diskSpace?.report(),
        recount && within(recount, COUNT_WITHIN_MS, undefined),
      ]);
      soundAlarm();
      return report(disks);
    },
    async refresh() {
      const [disks] = await Promise.all([deps.diskSpace?.report(), probe(), count()]);
      return report(disks);
    },
    start() {
      timer = setInterval(
        () => {
          void probe();
          void count();
          soundAlarm();
        },
        Math.min(probeEveryMs, ALARM_EVERY_MS),
      );
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
