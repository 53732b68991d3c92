/**
 * Runs jobs from the queue: `concurrency` slots, each claiming the next due job of the kinds
 * it has handlers for, running it, and finishing it. A heartbeat every lease/3 renews the
 * leases of the jobs in hand; a job whose lease was taken over gets its signal aborted (its
 * fenced finish would be refused anyway). stop(deadline) stops claiming, lets running jobs
 * finish until shortly before the deadline, aborts them, and hands back what is still held,
 * so a SIGTERM never leaves a job locked for a whole lease.
 */
import type { Logger } from '../logger.ts';
import type { JobWake } from './jobWake.ts';
import { type ClaimedJob, type JobDatabase, type JobQueue, LeaseLostError } from './jobQueue.ts';

export interface JobContext {
  /** Aborted when the lease is lost or the worker is stopping past its grace. */
  signal: AbortSignal;
  /** Finishes the job inside the handler's own transaction (fenced; throws LeaseLostError). */
  complete(trx: JobDatabase): Promise<void>;
  /** Named points inside a handler, for crash tests (test/support/workerChild.ts). */
  step(name: string): Promise<void>;
}

export interface JobHandler<P = unknown> {
  kind: string;
  run(job: ClaimedJob<P>, ctx: JobContext): Promise<void>;
}

export interface JobRunnerOptions {
  queue: JobQueue;
  db: JobDatabase;
  // biome-ignore lint/suspicious/noExplicitAny: handlers of different payload types share one list
  handlers: readonly JobHandler<any>[];
  concurrency: number;
  wake: JobWake;
  logger: Logger;
  /** The floor under NOTIFY: an idle slot looks again this often. */
  pollMs?: number;
  onStep?: (step: string, job: ClaimedJob) => Promise<void>;
}

export interface JobRunner {
  start(): void;
  /** Resolves once every slot has stopped and nothing is held; `deadline` is a Date.now() value. */
  stop(deadline: number): Promise<void>;
  /** Jobs this runner is running now. */
  inHand(): number;
}

interface Running {
  job: ClaimedJob;
  abort: AbortController;
  /** Its fenced finish was done: the row is gone (or going) and the heartbeat must not miss it. */
  finished: boolean;
}

export function createJobRunner({
  queue,
  db,
  handlers,
  concurrency,
  wake,
  logger,
  pollMs = 5_000,
  onStep,
}: JobRunnerOptions): JobRunner {
  const byKind = new Map(handlers.map((handler) => [handler.kind, handler]));
  const kinds = [...byKind.keys()];
  const running = new Map<number, Running>();
  const stopping = new AbortController();
  let slots: Promise<void>[] = [];
  let heartbeatTimer: NodeJS.Timeout | undefined;

  async function runOne(job: ClaimedJob): Promise<void> {
    const handler = byKind.get(job.kind);
    const abort = new AbortController();
    const entry: Running = { job, abort, finished: false };
    running.set(job.id, entry);
    let completed = false;
    const ctx: JobContext = {
      signal: abort.signal,
      async complete(trx) {
        await queue.complete(trx, job);
        completed = true;
        // A handler may still work after its commit (cleanup); its row is gone, which is no lost lease.
        entry.finished = true;
      },
      step: async (name) => onStep?.(name, job),
    };
    try {
      if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
      await handler.run(job, ctx);
      if (!completed) await queue.complete(db, job);
    } catch (error) {
      if (error instanceof LeaseLostError) {
        logger.warn({ jobId: job.id, kind: job.kind }, error.message);
      } else {
        logger.warn({ err: error, jobId: job.id, kind: job.kind, attempt: job.attempts }, `job ${job.kind} failed`);
        await queue.fail(job, error).catch((failError: unknown) => {
          logger.error({ err: failError, jobId: job.id }, 'could not record the job failure; its lease will expire');
        });
      }
    } finally {
      running.delete(job.id);
    }
  }

  async function slot(): Promise<void> {
    while (!stopping.signal.aborted) {
      let job: ClaimedJob | undefined;
      try {
        job = await queue.claim(kinds);
      } catch (error) {
        logger.warn({ err: error }, 'could not claim a job; trying again shortly');
      }
      if (stopping.signal.aborted) {
        if (job) await queue.release([job.id]).catch(() => undefined);
        return;
      }
      if (job) await runOne(job);
      else await wake.wait(pollMs, stopping.signal);
    }
  }

  async function heartbeat(): Promise<void> {
    const ids = [...running.values()].filter((entry) => !entry.finished).map((entry) => entry.job.id);
    if (ids.length === 0) return;
    const kept = new Set(await queue.heartbeat(ids));
    for (const id of ids)
      if (!kept.has(id) && running.has(id) && !running.get(id)?.finished) {
        logger.warn({ jobId: id }, 'lost the lease of a running job; aborting it');
        running.get(id)?.abort.abort(new LeaseLostError(id));
      }
  }

  return {
    start() {
      if (kinds.length === 0) return;
      slots = Array.from({ length: Math.max(1, concurrency) }, () => slot());
      heartbeatTimer = setInterval(
        () => void heartbeat().catch((error: unknown) => logger.warn({ err: error }, 'job heartbeat failed')),
        Math.max(250, (queue.leaseSeconds * 1000) / 3),
      );
      heartbeatTimer.unref();
    },
    async stop(deadline) {
      stopping.abort();
      const finished = Promise.all(slots);
      const until = (ms: number) =>
        new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms - Date.now())).unref());
      await Promise.race([finished, until(deadline - 3_000)]);
      for (const { abort } of running.values()) abort.abort(new Error('the worker is stopping'));
      await Promise.race([finished, until(deadline - 1_000)]);
      clearInterval(heartbeatTimer);
      // Whatever is still in hand goes back now; its handler's late commit is refused by the fence.
      const held = [...running.keys()];
      if (held.length > 0) {
        await queue.release(held).catch((error: unknown) => logger.warn({ err: error }, 'could not release jobs'));
        logger.info({ jobIds: held }, `released ${held.length} job(s) for another worker`);
      }
    },
    inHand: () => running.size,
  };
}
