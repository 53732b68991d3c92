/**
 * Polls instead of sleeping a fixed time: resolves as soon as `check` holds, so a fast machine
 * does not wait and a slow one gets up to `timeoutMs`. Throws (naming `what`) when time runs out.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  { timeoutMs = 10_000, intervalMs = 25 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
