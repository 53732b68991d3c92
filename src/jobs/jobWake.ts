/**
 * Wakes idle job runners: a NOTIFY on `jobs` (the insert trigger, heard through the change
 * feed's listener) calls notify(); a runner with nothing to do waits for that or for its poll
 * interval, whichever comes first — the poll is the floor for a missed notification.
 */
export interface JobWake {
  notify(): void;
  /** Resolves on the next notify(), after `ms`, or when `signal` aborts. */
  wait(ms: number, signal?: AbortSignal): Promise<void>;
}

export function createJobWake(): JobWake {
  const waiters = new Set<() => void>();
  return {
    notify() {
      for (const wake of [...waiters]) wake();
    },
    wait(ms, signal) {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        waiters.add(done);
        if (signal?.aborted) done();
        else signal?.addEventListener('abort', done, { once: true });
      });
    },
  };
}
