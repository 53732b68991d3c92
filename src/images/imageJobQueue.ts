/**
 * Decoding a 12-megapixel photo takes ~50 MB and most of a core. Uploads queue here so at
 * most `concurrency` images are processed at once: a burst of uploads waits instead of
 * decoding all together and exhausting memory.
 */
import os from 'node:os';
import pLimit from 'p-limit';

export type ImageJobQueue = <T>(job: () => Promise<T>) => Promise<T>;

export function createImageJobQueue(concurrency = os.availableParallelism()): ImageJobQueue {
  const limit = pLimit(concurrency);
  return (job) => limit(job);
}
