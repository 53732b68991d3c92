import { describe, expect, it } from 'vitest';
import { GC_GRACE_MS, waitBeforeGcMs } from '../../bench/soak/storageGc.ts';

describe("the soak's wait before storage:gc", () => {
  const now = 1_800_000_000_000;

  it('waits until the newest leftover is past the grace, with a margin for rounded LastModified', () => {
    const wait = waitBeforeGcMs(now - 1_000, now);
    // Written 1 s ago: gc would keep it for another 2.6 s, so the wait covers that and more.
    expect(wait).toBeGreaterThan(GC_GRACE_MS - 1_000);
    expect(wait).toBeLessThan(GC_GRACE_MS + 2_000);
  });

  it('does not wait when there is no leftover, or the newest is old enough', () => {
    expect(waitBeforeGcMs(undefined, now)).toBe(0);
    expect(waitBeforeGcMs(now - GC_GRACE_MS - 60_000, now)).toBe(0);
  });
});
