/** The app's resident memory at rest and at its peak during one burst of uploads. */
import { setTimeout as sleep } from 'node:timers/promises';
import { readMemory, resetPeak, sampleRss } from './procMemory.ts';

const SETTLE_MS = 1_000;

/** RSS after a moment with nothing in flight. */
export async function idleRss(pid: number): Promise<number> {
  await sleep(SETTLE_MS);
  return readMemory(pid).rssBytes;
}

export interface BurstPeak<T> {
  /** VmHWM over the burst alone when the reset worked, else the highest sampled VmRSS. */
  peakBytes: number;
  source: 'VmHWM' | 'sampled VmRSS';
  sampledBytes: number;
  result: T;
}

export async function peakDuring<T>(pid: number, burst: () => Promise<T>): Promise<BurstPeak<T>> {
  const resetWorked = resetPeak(pid);
  const sampler = sampleRss(pid);
  let sampledBytes = 0;
  let result: T;
  try {
    result = await burst();
  } finally {
    sampledBytes = sampler.stop();
  }
  const hwm = readMemory(pid).peakBytes;
  return resetWorked
    ? { peakBytes: Math.max(hwm, sampledBytes), source: 'VmHWM', sampledBytes, result }
    : { peakBytes: sampledBytes, source: 'sampled VmRSS', sampledBytes, result };
}
