/**
 * Resident memory of another process, from /proc/<pid>/status (Linux): VmRSS now and VmHWM,
 * the peak since start or since the peak was last reset. Writing "5" to /proc/<pid>/clear_refs
 * resets VmHWM to the current RSS (Linux ≥ 4.0), so a peak can be taken for one phase alone.
 * A sampler backs that up where the reset is refused.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface MemoryReading {
  rssBytes: number;
  peakBytes: number;
}

export function readMemory(pid: number): MemoryReading {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rssBytes: fieldBytes(status, 'VmRSS'), peakBytes: fieldBytes(status, 'VmHWM') };
}

/** True when the kernel accepted the reset (VmHWM then starts again from the current RSS). */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const after = readMemory(pid);
    return after.peakBytes <= after.rssBytes + 4 * 1024 * 1024;
  } catch {
    return false;
  }
}

/** Samples VmRSS every `intervalMs` until stopped; returns the highest reading. */
export function sampleRss(pid: number, intervalMs = 20): { stop(): number } {
  let highest = readMemory(pid).rssBytes;
  const timer = setInterval(() => {
    try {
      highest = Math.max(highest, readMemory(pid).rssBytes);
    } catch {
      // The process is gone; keep what was seen.
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return highest;
    },
  };
}

function fieldBytes(status: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!match?.[1]) throw new Error(`/proc status has no ${name} line`);
  return Number(match[1]) * 1024;
}
