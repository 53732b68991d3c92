/**
 * Runs jobs with at most `concurrency` in flight and reports throughput: jobs per second of
 * wall time from the first start to the last finish. Failures are counted, not thrown, so a
 * run reports how many went wrong instead of stopping at the first.
 */
export interface PoolResult {
  done: number;
  failures: string[];
  seconds: number;
  perSecond: number;
}

export async function runPool(
  jobCount: number,
  concurrency: number,
  job: (index: number, worker: number) => Promise<void>,
): Promise<PoolResult> {
  let next = 0;
  const failures: string[] = [];
  const started = performance.now();
  const worker = async (workerIndex: number) => {
    while (next < jobCount) {
      const index = next++;
      try {
        await job(index, workerIndex);
      } catch (error) {
        failures.push(`job ${index}: ${describeError(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobCount) }, (_, i) => worker(i)));
  const seconds = (performance.now() - started) / 1000;
  const done = jobCount - failures.length;
  return { done, failures, seconds, perSecond: done / seconds };
}

/** Message plus code, and the inner errors of an AggregateError (a failed connect has an empty message). */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  const inner = error instanceof AggregateError ? ` [${error.errors.map(describeError).join('; ')}]` : '';
  return `${error.name}${code ? ` ${code}` : ''}: ${error.message || '(no message)'}${inner}`;
}
