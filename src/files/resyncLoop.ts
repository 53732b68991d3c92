/**
 * Runs resync passes in the background: every `intervalMs` while the outbox has work, at once
 * when S3 comes back (the circuit breaker closes), and one last time within the grace period
 * when the process is asked to stop — so images that fell back are in S3 before Render
 * replaces the instance and its disk.
 */
import type { Logger } from '../logger.ts';
import type { ResyncSummary } from './resync.ts';

export interface ResyncLoop {
  start(): void;
  /** Runs a pass now (or right after the one in progress). */
  kick(): void;
  /** Stops the timer, waits for a running pass, then runs a final pass until `deadline` (epoch ms). */
  drain(deadline: number): Promise<ResyncSummary | undefined>;
}

export function createResyncLoop(options: {
  runPass: (options: { deadline?: number }) => Promise<ResyncSummary>;
  s3Usable: () => boolean;
  /** Asks S3 whether it is back (closing the circuit breaker if so) before the final pass. */
  probe: () => Promise<unknown>;
  intervalMs: number;
  logger: Logger;
}): ResyncLoop {
  const { logger } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<ResyncSummary | undefined> | undefined;
  let again = false;
  let stopped = false;

  const report = (summary: ResyncSummary) => {
    if (summary.moved + summary.backedUp + summary.lost + summary.failed === 0) return;
    logger.info(
      { resync: { ...summary, failures: summary.failures.slice(0, 5) } },
      `Resync: ${summary.moved} moved to S3, ${summary.backedUp} backed up, ${summary.lost} lost, ${summary.failed} failed`,
    );
  };

  const pass = (deadline?: number): Promise<ResyncSummary | undefined> => {
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = options
      .runPass({ deadline })
      .then((summary) => {
        report(summary);
        return summary;
      })
      .catch((error: unknown) => {
        logger.warn({ err: error }, 'Resync pass failed; it will run again');
        return undefined;
      })
      .finally(() => {
        running = undefined;
        if (again && !stopped) {
          again = false;
          void pass();
        }
      });
    return running;
  };

  return {
    start() {
      timer = setInterval(() => {
        if (options.s3Usable()) void pass();
      }, options.intervalMs);
      timer.unref();
      void pass();
    },
    kick() {
      if (!stopped) void pass();
    },
    async drain(deadline) {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
      if (Date.now() >= deadline) return undefined;
      await options.probe();
      return pass(deadline);
    },
  };
}
