/**
 * The one table `npm run soak` prints: requests by status (and how many fell outside the fault
 * windows), uploads accepted / refused / lost by kind, fallback and resync counts, what the
 * audit found, app RSS at the start and the end, the faults as they happened, and each
 * invariant's verdict.
 */
import os from 'node:os';
import { duringFault, RECOVERY_GRACE_MS } from './faultPlan.ts';
import { signedPercent, type SoakResults, type Verdict } from './soakVerdict.ts';
import { UPLOAD_KINDS } from './trafficReport.ts';

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd(),
  );
}

export function formatSoakTable(r: SoakResults, verdicts: Verdict[]): string {
  const firstAt = Math.min(...r.requests.map((request) => request.startedAt), Date.now());
  const byStatus = new Map<number, { all: number; outside: number }>();
  for (const request of r.requests) {
    const entry = byStatus.get(request.status) ?? { all: 0, outside: 0 };
    entry.all += 1;
    if (!duringFault(request, r.windows)) entry.outside += 1;
    byStatus.set(request.status, entry);
  }
  const statusRows = [...byStatus]
    .sort(([a], [b]) => a - b)
    .map(([status, { all, outside }]) => [`  ${status === 0 ? 'no answer' : status}`, String(all), String(outside)]);

  const uploadRows = UPLOAD_KINDS.map((kind) => {
    const tried = r.uploads.filter((upload) => upload.kind === kind);
    const accepted = tried.filter((upload) => upload.accepted).length;
    const lost = r.storage.lostUploads.filter((upload) => upload.kind === kind).length;
    const viaForm = tried.filter((upload) => upload.viaForm).length;
    return [
      `  ${kind}`,
      String(tried.length),
      String(accepted),
      String(tried.length - accepted),
      String(lost),
      String(viaForm),
    ];
  });
  const total = (column: number) => String(uploadRows.reduce((sum, row) => sum + Number(row[column]), 0));

  const faults = r.windows.map(
    (window) =>
      `${window.kind} ${Math.round((window.startedAt - firstAt) / 1000)}–${Math.round((window.endedAt - firstAt) / 1000)} s`,
  );
  const s = r.storage;
  const lines = [
    `npm run soak — ${r.minutes} min of traffic; S3: MinIO, stopped 20 s every 60 s; database: ${r.database}`,
    ...columns([
      ['requests by status', 'total', 'outside fault windows'],
      ...statusRows,
      ['  all', String(r.requests.length), String(r.requests.filter((q) => !duringFault(q, r.windows)).length)],
    ]),
    ...columns([
      ['uploads', 'tried', 'accepted', 'refused', 'lost', 'direct sent via form'],
      ...uploadRows,
      ['  all', total(1), total(2), total(3), total(4), total(5)],
    ]),
    `stored while S3 was down (outage store): ${r.logs.fallbacks}; moved to S3 by resync: ${r.logs.resyncMoved} (${r.logs.resyncFailed} attempts failed and were retried)`,
    `accepted avatars/thumbnails replaced by a later one (not checkable one by one): ${s.superseded}`,
    `after resync: files ${
      Object.entries(s.filesByLocation)
        .map(([l, n]) => `${n} in ${l}`)
        .join(', ') || 'none'
    }; lost ${s.lostFiles}; missing objects ${s.missingObjects.length}; outage store ${s.outageStoreFiles} blobs; local files ${s.localFiles}`,
    `bucket, objects without a row: ${s.orphansBeforeGc} before storage:gc, ${s.orphanObjects} after; incoming/ leftovers: ${s.incomingBeforeGc} before, ${s.incomingLeftovers} after`,
    `page images: ${r.images.images} distinct on ${r.images.pages} pages, ${r.images.broken.length} broken`,
    `app RSS (medians over ${r.rss.windowSeconds} s): ${mib(r.rss.startBytes)} after a ${r.rss.warmUpSeconds} s warm-up, ${mib(r.rss.endBytes)} at the end (${signedPercent((r.rss.endBytes - r.rss.startBytes) / r.rss.startBytes)})`,
    `app and worker log lines at error level: ${r.logs.errors.length}`,
    `faults (s from the first request; a fault window runs until the thing answers again, plus ${RECOVERY_GRACE_MS / 1000} s):`,
    `  ${faults.join(', ')}`,
    'invariants:',
    ...verdicts.map(
      (v) => `  ${v.judged === false ? 'NOT JUDGED' : v.ok ? 'PASS' : 'FAIL'}  ${v.invariant}: ${v.detail}`,
    ),
    `machine: ${os.availableParallelism()} cores, node ${process.version}`,
  ];
  return lines.join('\n');
}
