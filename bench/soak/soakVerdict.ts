/**
 * The soak run's invariants, judged from what it gathered: each one passes or fails with the
 * figures that decided it. Pure, so each can be shown to fail (test/bench/soakVerdict.test.ts).
 * The run exits non-zero when any fails, and says which.
 */
import type { ReplyRecord } from '../support/httpMember.ts';
import type { LogCounts } from './logCounts.ts';
import type { PageImageAudit } from './pageImages.ts';
import type { StorageAudit } from './storageAudit.ts';
import { duringFault, type FaultWindow, type PlannedFault } from './faultPlan.ts';
import { UPLOAD_KINDS, type UploadAttempt } from './trafficReport.ts';

export const RSS_GROWTH_LIMIT = 0.1;
/**
 * Memory is judged on runs of this length or more (the issue's 10-minute run). A shorter run
 * (CI's two minutes) has no real warm-up — its "start" window falls in the first outage, before
 * the heap has reached its working size — so its RSS is printed but not judged.
 */
export const RSS_JUDGED_FROM_MINUTES = 10;

export interface SoakResults {
  minutes: number;
  database: string;
  planned: PlannedFault[];
  windows: FaultWindow[];
  requests: ReplyRecord[];
  uploads: UploadAttempt[];
  /** The audit after storage:gc, with what the bucket held before it. */
  storage: StorageAudit & { orphansBeforeGc: number; incomingBeforeGc: number; gcExitCode: number };
  images: PageImageAudit;
  logs: LogCounts;
  /** The app that ran to the end: its RSS after warm-up, and at the end of traffic (medians over windows of the samples). */
  rss: { startBytes: number; endBytes: number; warmUpSeconds: number; windowSeconds: number };
  /** Whether the outbox and the outage store drained within the bound after traffic stopped. */
  drained: boolean;
  /** The app or worker processes that exited without being killed by the plan. */
  unplannedExits: string[];
}

export interface Verdict {
  invariant: string;
  ok: boolean;
  detail: string;
  /** False for a figure printed but not judged in this run (it cannot fail it). */
  judged?: false;
}

/** The verdicts that fail the run. */
export function failedVerdicts(verdicts: readonly Verdict[]): Verdict[] {
  return verdicts.filter((verdict) => verdict.judged !== false && !verdict.ok);
}

export function judgeSoak(r: SoakResults): Verdict[] {
  const outside = r.requests.filter((request) => !duringFault(request, r.windows));
  const serverErrors = outside.filter((request) => request.status >= 500);
  const unanswered = outside.filter((request) => request.status === 0);
  const notInS3 = Object.entries(r.storage.filesByLocation).filter(
    ([location, count]) => location !== 's3' && count > 0,
  );
  const growth = (r.rss.endBytes - r.rss.startBytes) / r.rss.startBytes;
  const kindsNeverAccepted = UPLOAD_KINDS.filter((kind) => !r.uploads.some((u) => u.kind === kind && u.accepted));
  return [
    verdict('no 5xx outside the fault windows', serverErrors.length === 0, describe(serverErrors)),
    verdict('every request answered outside the fault windows', unanswered.length === 0, describe(unanswered)),
    verdict(
      'every upload answered with success is on S3 with its row',
      r.storage.lostUploads.length === 0,
      r.storage.lostUploads.length === 0
        ? `${r.uploads.filter((u) => u.accepted).length} accepted, all found`
        : r.storage.lostUploads
            .slice(0, 5)
            .map((lost) => lost.detail)
            .join('; '),
    ),
    verdict(
      'zero files lost: every row in S3, every object it names there',
      r.storage.lostFiles === 0 && r.storage.missingObjects.length === 0 && notInS3.length === 0,
      `${r.storage.lostFiles} marked lost, ${r.storage.missingObjects.length} objects missing${r.storage.missingObjects.length ? ` (${r.storage.missingObjects.slice(0, 3).join(', ')})` : ''}, rows not in S3: ${notInS3.map(([l, n]) => `${n} ${l}`).join(', ') || 'none'}`,
    ),
    verdict(
      'every image on every page loads',
      r.images.broken.length === 0 && r.images.pagesFailed.length === 0 && !r.images.timedOut && r.images.images > 0,
      `${r.images.images} images on ${r.images.pages} pages; ${r.images.broken.length} broken${r.images.broken.length ? ` (${r.images.broken.slice(0, 3).join('; ')})` : ''}; ${r.images.pagesFailed.length} pages failed${r.images.pagesFailed.length ? ` (${r.images.pagesFailed.slice(0, 3).join('; ')})` : ''}${r.images.timedOut ? '; ran out of time' : ''}`,
    ),
    verdict(
      'outage store, outbox and local disk empty after resync',
      r.drained &&
        r.storage.outageStoreFiles === 0 &&
        r.storage.outageStoreBytes === 0 &&
        r.storage.pendingPrimaryCopies === 0 &&
        r.storage.localFiles === 0,
      `${r.storage.outageStoreFiles} blobs (${r.storage.outageStoreBytes} bytes counted), ${r.storage.pendingPrimaryCopies} copies owed, ${r.storage.localFiles} local files${r.drained ? '' : '; did not drain in time'}`,
    ),
    verdict(
      'after storage:gc, no object in the bucket without a row',
      r.storage.gcExitCode === 0 && r.storage.orphanObjects === 0,
      `${r.storage.orphansBeforeGc} before, ${r.storage.orphanObjects} after (storage:gc exit code ${r.storage.gcExitCode})${
        r.storage.orphanSamples.length > 0 ? `; first left: ${r.storage.orphanSamples.slice(0, 3).join(', ')}` : ''
      }`,
    ),
    {
      ...verdict(
        `app RSS at the end within ${RSS_GROWTH_LIMIT * 100} % of the start after warm-up`,
        growth <= RSS_GROWTH_LIMIT,
        Number.isNaN(growth) ? 'the app was not there to sample' : signedPercent(growth),
      ),
      ...(r.minutes < RSS_JUDGED_FROM_MINUTES && !Number.isNaN(growth)
        ? {
            judged: false as const,
            detail: `${signedPercent(growth)}, judged on runs of ${RSS_JUDGED_FROM_MINUTES} minutes or more`,
          }
        : {}),
    },
    verdict(
      'the app and the worker ran to the end (no exit but the planned kills)',
      r.unplannedExits.length === 0,
      r.unplannedExits.join('; ') || 'both running',
    ),
    verdict(
      'every planned fault happened',
      r.windows.length === r.planned.length,
      `${r.windows.length} of ${r.planned.length}`,
    ),
    verdict(
      'the traffic reached every upload kind, and S3 outages were felt',
      kindsNeverAccepted.length === 0 && r.logs.fallbacks > 0,
      `${kindsNeverAccepted.length ? `never accepted: ${kindsNeverAccepted.join(', ')}; ` : ''}${r.logs.fallbacks} uploads kept in the outage store`,
    ),
  ];
}

export function signedPercent(fraction: number): string {
  return `${fraction >= 0 ? '+' : '−'}${Math.abs(fraction * 100).toFixed(1)} %`;
}

function verdict(invariant: string, ok: boolean, detail: string): Verdict {
  return { invariant, ok, detail };
}

function describe(requests: ReplyRecord[]): string {
  if (requests.length === 0) return 'none';
  const shown = requests
    .slice(0, 5)
    .map(
      (request) =>
        `${request.method} ${request.path} → ${request.status || 'no answer'} at ${new Date(request.startedAt).toISOString()}`,
    );
  return `${requests.length}: ${shown.join('; ')}`;
}
