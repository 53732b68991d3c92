/**
 * Carries out a fault plan against the running services while the traffic runs, and records
 * each fault's real window: from the moment it was injected until the thing answered again
 * (MinIO ready, PostgreSQL accepting connections, the app's /healthz answering, the worker
 * taking jobs). Faults run one at a time, in plan order; a fault whose time has passed while
 * an earlier one recovered runs at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { log } from '../support/log.ts';
import type { FaultKind, FaultWindow, PlannedFault } from './faultPlan.ts';

/** Each fault's two halves: take the thing down (or kill it), bring it back and wait until it answers. */
export type FaultActions = Record<FaultKind, { down(): Promise<void>; up(): Promise<void> }>;

export async function runFaults(
  plan: readonly PlannedFault[],
  actions: FaultActions,
  trafficStartedAt: number,
  trafficEndsAt: number,
): Promise<FaultWindow[]> {
  const windows: FaultWindow[] = [];
  for (const fault of plan) {
    const at = trafficStartedAt + fault.atSeconds * 1000;
    if (at >= trafficEndsAt) break;
    await sleep(Math.max(0, at - Date.now()));
    const startedAt = Date.now();
    log(`fault at ${Math.round((startedAt - trafficStartedAt) / 1000)} s: ${fault.kind}`);
    await actions[fault.kind].down();
    await sleep(fault.downSeconds * 1000);
    await actions[fault.kind].up();
    const endedAt = Date.now();
    windows.push({ kind: fault.kind, startedAt, endedAt });
    log(`  ${fault.kind} over after ${((endedAt - startedAt) / 1000).toFixed(1)} s`);
  }
  return windows;
}
