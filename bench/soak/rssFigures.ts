/**
 * The app's memory at the start and at the end of a soak run, both under the same traffic:
 * the median RSS of the app that ran to the end over a window just after its warm-up, and
 * over the same length of window at the end of traffic. Medians, so one upload's peak in a
 * sample does not decide the figure.
 */
import type { RssSample } from './soakServices.ts';

const WARM_UP_MS = 60_000;
const WINDOW_MS = 30_000;

export function appRssFigures(
  samples: readonly RssSample[],
  pid: number,
  readyAt: number,
  trafficEndedAt: number,
  durationMs: number,
): { startBytes: number; endBytes: number } {
  // Short runs (CI) scale both down, so the windows still fit and do not overlap.
  const warmUp = Math.min(WARM_UP_MS, 0.2 * durationMs);
  const window = Math.min(WINDOW_MS, 0.1 * durationMs);
  const own = samples.filter((sample) => sample.pid === pid);
  const between = (from: number, to: number) =>
    own.filter((sample) => sample.at >= from && sample.at <= to).map((sample) => sample.bytes);
  const start = between(readyAt + warmUp, readyAt + warmUp + window);
  const end = between(trafficEndedAt - window, trafficEndedAt);
  // NaN when the app was not there to sample (it exited on its own): the RSS invariant then fails.
  return { startBytes: median(start), endBytes: median(end) };
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
