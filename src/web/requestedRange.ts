/**
 * Reads a request's Range and If-Range headers for one stored object (routes/media.ts): video
 * players ask for one range at a time, so anything else (several ranges, a stale If-Range,
 * a malformed header) gets the whole object rather than an error.
 */
import type { Request } from 'express';
import type { ByteRange } from '../storage/contract.ts';

/** One satisfiable byte range, or undefined to send the whole object (no Range, a stale If-Range, several or malformed ranges). */
export function requestedRange(
  req: Pick<Request, 'get' | 'range'>,
  size: number,
  etag: string,
): ByteRange | 'unsatisfiable' | undefined {
  if (req.get('Range') === undefined) return undefined;
  const ifRange = req.get('If-Range');
  if (ifRange !== undefined && ifRange.trim() !== etag) return undefined;
  const ranges = req.range(size, { combine: true });
  if (ranges === -1) return 'unsatisfiable';
  if (ranges === undefined || ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return undefined;
  const [range] = ranges;
  return range ? { start: range.start, end: range.end } : undefined;
}
