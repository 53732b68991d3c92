/**
 * The job queue as /healthz shows it on every instance (the same shared figures everywhere):
 * jobs waiting and running, the oldest waiting job's age, jobs that failed for good, and the
 * workers seen. Read at most every few seconds: Render polls /healthz often.
 */
import type { JobDatabase, JobQueue, JobSummary } from './jobQueue.ts';
import { listWorkers, type WorkerSeen } from './workerRegistry.ts';

export interface JobsHealth extends Omit<JobSummary, 'lastError'> {
  workers: WorkerSeen[];
}

export interface JobsHealthReport {
  jobs: JobsHealth;
  reasons: string[];
}

const TTL_MS = 3_000;
const STUCK_SECONDS = 300;
const WORKER_SILENT_SECONDS = 60;

export function createJobsHealth({ db, queue }: { db: JobDatabase; queue: Pick<JobQueue, 'summary'> }) {
  let cached: { at: number; value: Promise<JobsHealthReport> } | undefined;
  const load = async (): Promise<JobsHealthReport> => {
    const [{ lastError, ...summary }, workers] = await Promise.all([queue.summary(), listWorkers(db)]);
    const reasons: string[] = [];
    const live = workers.some((worker) => worker.lastSeenSeconds <= WORKER_SILENT_SECONDS);
    if (summary.waiting > 0 && summary.oldestWaitingSeconds > STUCK_SECONDS && !live)
      reasons.push(
        `${summary.waiting} job(s) have waited over ${STUCK_SECONDS / 60} minutes and no worker was seen for ${WORKER_SILENT_SECONDS} s: is the worker service running?`,
      );
    if (summary.failed > 0)
      reasons.push(`${summary.failed} job(s) failed for good; the last error: ${lastError ?? 'unknown'}`);
    return { jobs: { ...summary, workers }, reasons };
  };
  return {
    report(): Promise<JobsHealthReport> {
      if (!cached || Date.now() - cached.at > TTL_MS) {
        const value = load();
        cached = { at: Date.now(), value };
        value.catch(() => (cached = undefined));
      }
      return cached.value;
    },
  };
}
