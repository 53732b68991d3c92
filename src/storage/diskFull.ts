/**
 * A write that failed because the disk has no room left: ENOSPC (no space) or EDQUOT (over the
 * user's quota) from the file system, or PostgreSQL's 53100 disk_full from the outage store
 * (files/fallbackBlobs.ts), which is the same fault one layer away. Looks through `cause`
 * chains, because the adapters wrap what fs or the database said in a StorageError.
 */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', '53100']);

export function isDiskFull(error: unknown, seen = new Set<unknown>()): boolean {
  if (typeof error !== 'object' || error === null || seen.has(error)) return false;
  seen.add(error);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && DISK_FULL_CODES.has(code)) return true;
  return isDiskFull((error as { cause?: unknown }).cause, seen);
}
