/**
 * Uploads through the app's real route, one member per worker so no member ever has two
 * uploads in flight (each upload replaces that member's avatar and deletes the old one).
 * The ledger remembers the size of each member's last accepted photo: after the run the
 * bucket should hold exactly those avatars.
 */
import type { Photo } from './jpegs.ts';
import type { HttpMember } from './httpMember.ts';
import { runPool, type PoolResult } from './pool.ts';

export type UploadLedger = Map<string, number>;

export async function uploadRound(
  members: HttpMember[],
  photos: Photo[],
  count: number,
  concurrency: number,
  ledger: UploadLedger,
): Promise<PoolResult> {
  if (members.length < concurrency)
    throw new Error(`${concurrency} uploads in flight need ${concurrency} members, not ${members.length}`);
  return runPool(count, concurrency, async (index, worker) => {
    const member = members[worker]!;
    const photo = photos[index % photos.length]!;
    await member.uploadAvatar(photo.name, photo.bytes);
    ledger.set(member.username, photo.bytes.length);
  });
}

/** Throws with every failure listed: a benchmark with failed uploads measures nothing. */
export function assertNoFailures(phase: string, result: PoolResult): void {
  if (result.failures.length === 0) return;
  const shown = result.failures
    .slice(0, 10)
    .map((failure) => `  - ${failure}`)
    .join('\n');
  throw new Error(
    `${result.failures.length} of ${result.done + result.failures.length} uploads failed during ${phase}:\n${shown}`,
  );
}
