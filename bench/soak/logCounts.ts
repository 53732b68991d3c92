/**
 * What the app's and the worker's JSON log lines (pino, LOG_LEVEL=info) say happened: uploads
 * stored in S3 or kept in the outage store while S3 was down (files/uploadAccounting.ts's
 * "Upload stored"), files moved to S3 afterwards (files/resyncLoop.ts's "Resync: …"), and
 * every line at error level or above.
 */
export interface LogCounts {
  storedIn: Record<string, number>;
  /** Uploads stored anywhere but S3: the outage store ('db') or local disk. */
  fallbacks: number;
  resyncMoved: number;
  resyncFailed: number;
  errors: string[];
}

const ERROR_LEVEL = 50;

export function countLogLines(lines: Iterable<string>): LogCounts {
  const counts: LogCounts = { storedIn: {}, fallbacks: 0, resyncMoved: 0, resyncFailed: 0, errors: [] };
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    let entry: { level?: number; msg?: string; location?: string; resync?: { moved?: number; failed?: number } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (entry.msg === 'Upload stored' && entry.location) {
      counts.storedIn[entry.location] = (counts.storedIn[entry.location] ?? 0) + 1;
      if (entry.location !== 's3') counts.fallbacks += 1;
    }
    if (entry.resync) {
      counts.resyncMoved += entry.resync.moved ?? 0;
      counts.resyncFailed += entry.resync.failed ?? 0;
    }
    if ((entry.level ?? 0) >= ERROR_LEVEL) counts.errors.push(line.slice(0, 600));
  }
  return counts;
}
