/**
 * The app's memory at the start and at the end of a soak run, both under the same traffic:
 * the median RSS of the app that ran to the end over a window just after its warm-up, and
 * over the same length of window at the end of traffic. Medians, so one upload's peak in a
 * sample does not decide the figure.
 *
 * Why the warm-up is three minutes: in instrumented 10-minute runs (December 2026) the app's
 * RSS rose in steps for its first minutes as V8's young generation filled out and the old
 * space and glibc's heap grew to the first large bursts of the mix; a one-minute warm-up put
 * the start before them. The old space's live data at quiet moments, read through the
 * inspector, stayed at 23–28 MiB from the first minute to the last: no leak. What kept RSS
 * stepping up after that on a large host was V8 sizing the young generation from the host's
 * memory (2 × 64 MiB), which render.yaml now caps (NODE_OPTIONS, docs/benchmarks.md). A leak
 * still shows over the six minutes between the windows: from ~300 MiB, one of 5 MiB a minute
 * or more fails the 10 % limit (test/bench/rssFigures.test.ts).
 */
import type { RssSample } from './soakServices.ts';

export const WARM_UP_MS = 180_000;
export const WINDOW_MS = 60_000;

export function appRssFigures(
  samples: readonly RssSample[],
  pid: number,
  readyAt: number,
  trafficEndedAt: number,
  durationMs: number,
): { startBytes: number; endBytes: number; warmUpSeconds: number; windowSeconds: number } {
  // Short runs (CI) scale both down, so the windows still fit and do not overlap.
  const warmUp = Math.min(WARM_UP_MS, 0.3 * durationMs);
  const window = Math.min(WINDOW_MS, 0.1 * durationMs);
  const own = samples.filter((sample) => sample.pid === pid);
  const between = (from: number, to: number) =>
    own.filter((sample) => sample.at >= from && sample.at <= to).map((sample) => sample.bytes);
  const start = between(readyAt + warmUp, readyAt + warmUp + window);
  const end = between(trafficEndedAt - window, trafficEndedAt);
  // NaN when the app was not there to sample (it exited on its own): the RSS invariant then fails.
  return {
    startBytes: median(start),
    endBytes: median(end),
    warmUpSeconds: warmUp / 1000,
    windowSeconds: window / 1000,
  };
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
