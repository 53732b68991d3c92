import { describe, expect, it } from 'vitest';
import { appRssFigures, WARM_UP_MS, WINDOW_MS } from '../../bench/soak/rssFigures.ts';
import type { RssSample } from '../../bench/soak/soakServices.ts';
import { RSS_GROWTH_LIMIT } from '../../bench/soak/soakVerdict.ts';

const MIB = 1024 * 1024;
const READY = 1_000_000;

/** One sample a second from `from` to `to` (ms after READY) of `bytes(t)`. */
function samples(pid: number, fromMs: number, toMs: number, bytes: (t: number) => number): RssSample[] {
  const out: RssSample[] = [];
  for (let t = fromMs; t <= toMs; t += 1000) out.push({ pid, at: READY + t, bytes: bytes(t) });
  return out;
}

describe('appRssFigures', () => {
  const tenMinutes = 600_000;

  it('takes the start after the warm-up, so the growth while the heap fills out is not counted', () => {
    // 200 MiB rising to 300 over the first two minutes, then level.
    const rising = samples(7, 0, tenMinutes, (t) => (t < 120_000 ? 200 + (100 * t) / 120_000 : 300) * MIB);
    const { startBytes, endBytes } = appRssFigures(rising, 7, READY, READY + tenMinutes, tenMinutes);
    expect(startBytes / MIB).toBe(300);
    expect(endBytes / MIB).toBe(300);
  });

  it('still fails a leak of 6 MiB a minute from 300 MiB (the smallest it catches is about 5)', () => {
    const leaking = samples(7, 0, tenMinutes, (t) => (300 + (6 * t) / 60_000) * MIB);
    const { startBytes, endBytes } = appRssFigures(leaking, 7, READY, READY + tenMinutes, tenMinutes);
    const window = (from: number) => 300 + (6 * (from + WINDOW_MS / 2)) / 60_000;
    expect(startBytes / MIB).toBeCloseTo(window(WARM_UP_MS), 5);
    expect(endBytes / MIB).toBeCloseTo(window(tenMinutes - WINDOW_MS), 5);
    expect((endBytes - startBytes) / startBytes).toBeGreaterThan(RSS_GROWTH_LIMIT);
  });

  it("takes medians, so one upload's peak does not decide a figure", () => {
    const level = samples(7, 0, tenMinutes, (t) => (t === WARM_UP_MS + 5_000 || t === tenMinutes ? 900 : 300) * MIB);
    const { startBytes, endBytes } = appRssFigures(level, 7, READY, READY + tenMinutes, tenMinutes);
    expect([startBytes / MIB, endBytes / MIB]).toEqual([300, 300]);
  });

  it('reads only the app that ran to the end, not the one killed early', () => {
    const killed = samples(3, 0, 10_000, () => 999 * MIB);
    const restarted = samples(7, 11_000, tenMinutes, () => 250 * MIB);
    const figures = appRssFigures([...killed, ...restarted], 7, READY + 11_000, READY + tenMinutes, tenMinutes);
    expect(figures.startBytes / MIB).toBe(250);
  });

  it('scales the windows down on a short run so they neither overflow nor overlap', () => {
    const twoMinutes = 120_000;
    // Start window at 36–48 s, end window at 108–120 s: distinct values tell them apart.
    const run = samples(7, 0, twoMinutes, (t) => (t < 60_000 ? 100 : 200) * MIB);
    const { startBytes, endBytes } = appRssFigures(run, 7, READY, READY + twoMinutes, twoMinutes);
    expect([startBytes / MIB, endBytes / MIB]).toEqual([100, 200]);
  });

  it('gives NaN when the app was not there to sample, so the invariant fails', () => {
    const figures = appRssFigures([], 7, READY, READY + tenMinutes, tenMinutes);
    expect(Number.isNaN(figures.startBytes)).toBe(true);
  });
});
