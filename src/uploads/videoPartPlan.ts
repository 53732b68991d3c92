/**
 * How a video is cut into parts for a browser-to-S3 multipart upload. The server plans it
 * from the declared size, and every part URL is signed for its exact length, so the parts
 * can only add up to the declared size.
 *
 * Every video goes multipart, however small: a file below one part is a one-part upload (S3
 * allows a last part of any size). One path for every size means one set of checks, one
 * cancel and one clean-up to get right — a separate single-PUT path for small files would
 * save two tiny requests and double what can go wrong.
 */

/**
 * 8 MiB: above S3's 5 MiB minimum, small enough that a retried part costs little and a
 * progress bar moves smoothly, large enough that a 5000 MB video (the highest
 * MAX_VIDEO_SIZE_MB) needs 625 parts, far below S3's limit of 10,000.
 */
export const VIDEO_PART_BYTES = 8 * 1024 * 1024;

/** S3's smallest part (except the last). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

export function partCountFor(size: number, partBytes: number): number {
  return Math.max(1, Math.ceil(size / partBytes));
}

/** The exact length of part `partNumber` (1-based) of a `size`-byte file. */
export function partLength(size: number, partBytes: number, partNumber: number): number {
  const count = partCountFor(size, partBytes);
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > count)
    throw new RangeError(`There is no part ${partNumber} of ${count}`);
  return partNumber < count ? partBytes : size - (count - 1) * partBytes;
}
