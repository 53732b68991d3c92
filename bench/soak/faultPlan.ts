/**
 * When each fault of a soak run happens, in seconds from the start of traffic: S3 stopped for
 * 20 s every 60 s (the first at 30 s), the app SIGKILLed at 10 s (so the incarnation that runs
 * to the end lives through every other fault, and its memory after warm-up is what the end is
 * compared with), PostgreSQL restarted in the quiet middle of one gap between outages, and the
 * worker SIGKILLed 2 s after another outage ends, while it moves the outage store to S3.
 * Pure, so the plan for any length can be tested without running it.
 */
export type FaultKind = 's3-down' | 'postgres-restart' | 'app-kill' | 'worker-kill';

export interface PlannedFault {
  kind: FaultKind;
  atSeconds: number;
  /** How long the thing stays down before it is started again (0: restarted at once). */
  downSeconds: number;
}

/** A fault as it happened: from the moment it was injected until the thing answered again (epoch ms). */
export interface FaultWindow {
  kind: FaultKind;
  startedAt: number;
  endedAt: number;
}

export const S3_FIRST_OUTAGE_SECONDS = 30;
export const S3_OUTAGE_EVERY_SECONDS = 60;
export const S3_OUTAGE_SECONDS = 20;
const APP_KILL_SECONDS = 10;
const POSTGRES_DOWN_SECONDS = 5;
/** The last outage ends at least this long before traffic stops, so the run ends on a working S3. */
const QUIET_END_SECONDS = 5;
/**
 * After a fault ends, requests still get this long to recover before a 5xx counts against the
 * app: the circuit breaker's next probe, the pool's reconnect, a browser's keep-alive socket.
 */
export const RECOVERY_GRACE_MS = 10_000;

/** The run's faults in time order; `postgresRestart: false` when the database is not ours to restart. */
export function planFaults(durationSeconds: number, { postgresRestart }: { postgresRestart: boolean }): PlannedFault[] {
  const outages: PlannedFault[] = [];
  for (
    let at = S3_FIRST_OUTAGE_SECONDS;
    at + S3_OUTAGE_SECONDS <= durationSeconds - QUIET_END_SECONDS;
    at += S3_OUTAGE_EVERY_SECONDS
  )
    outages.push({ kind: 's3-down', atSeconds: at, downSeconds: S3_OUTAGE_SECONDS });
  const faults: PlannedFault[] = [{ kind: 'app-kill', atSeconds: APP_KILL_SECONDS, downSeconds: 0 }, ...outages];
  const outageEnds = outages.map((outage) => outage.atSeconds + outage.downSeconds);
  // Different outages where there are two, so the restart and the kill never overlap.
  const pgAfter = nearestIndex(outageEnds, 0.4 * durationSeconds);
  const workerAfter = outageEnds.length > 1 ? nearestIndex(outageEnds, 0.75 * durationSeconds, pgAfter) : pgAfter;
  if (postgresRestart && pgAfter !== undefined) {
    const gap = S3_OUTAGE_EVERY_SECONDS - S3_OUTAGE_SECONDS;
    faults.push({
      kind: 'postgres-restart',
      atSeconds: outageEnds[pgAfter]! + Math.round((gap - POSTGRES_DOWN_SECONDS) / 2),
      downSeconds: POSTGRES_DOWN_SECONDS,
    });
  }
  if (workerAfter !== undefined)
    faults.push({ kind: 'worker-kill', atSeconds: outageEnds[workerAfter]! + 2, downSeconds: 0 });
  return faults.sort((a, b) => a.atSeconds - b.atSeconds);
}

/** True when [startedAt, endedAt] overlaps a window or the recovery grace after it. */
export function duringFault(request: { startedAt: number; endedAt: number }, windows: readonly FaultWindow[]): boolean {
  return windows.some(
    (window) => request.endedAt >= window.startedAt && request.startedAt <= window.endedAt + RECOVERY_GRACE_MS,
  );
}

function nearestIndex(values: number[], target: number, avoid?: number): number | undefined {
  let best: number | undefined;
  values.forEach((value, index) => {
    if (index === avoid) return;
    if (best === undefined || Math.abs(value - target) < Math.abs(values[best]! - target)) best = index;
  });
  return best;
}
