/**
 * What the slow-S3 tests (test/hostile/slowS3*.test.ts) check on a running app, whatever makes
 * S3 slow: the front page's p99 in alternating normal and slow blocks under the same upload
 * traffic, and what /healthz and the database say about where uploads went.
 */
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { AppDatabase } from '../../src/db/database.ts';
import { frontPageLatencies, p99, signUpMembers, uploadAvatar } from './appUnderLoad.ts';
import { makeImage } from './imageFixtures.ts';
import type { HttpMember } from './serverProcess.ts';
import { HEALTHZ_AUTH } from './testApp.ts';

export interface PageLatencyComparison {
  normalP99: number;
  slowP99: number;
  normalCount: number;
  slowCount: number;
  failures: number;
  uploadStatuses: Record<number, number>;
}

/**
 * Blocks of front-page requests, alternating S3 normal and slow (`setSlow`), while `uploaders`
 * keep uploading avatars in both: the machine's own load drifts, and alternating spreads that
 * drift over both sides, so the ratio says what S3 did. Every loop is bounded in count and time.
 */
export async function comparePageLatency({
  origin,
  uploaders,
  image,
  setSlow,
  blocks = 6,
  blockMs = 3_000,
}: {
  origin: string;
  uploaders: HttpMember[];
  image: Buffer;
  setSlow: (slow: boolean) => void;
  blocks?: number;
  blockMs?: number;
}): Promise<PageLatencyComparison> {
  const normal: number[] = [];
  const slow: number[] = [];
  let failures = 0;
  let stop = false;
  const uploadStatuses: Record<number, number> = {};
  const loops = uploaders.map(async (member) => {
    for (let i = 0; i < 200 && !stop; i++) {
      const answer = await uploadAvatar(member, image).catch(() => ({ status: 0 }));
      uploadStatuses[answer.status] = (uploadStatuses[answer.status] ?? 0) + 1;
    }
  });
  try {
    for (let block = 0; block < blocks; block++) {
      const isSlow = block % 2 === 1;
      setSlow(isSlow);
      // At least 40 a block, so each side's 3 blocks give the p99 over 100 requests the check asks for.
      const measured = await frontPageLatencies(origin, {
        durationMs: blockMs,
        maxRequests: 1_000,
        minRequests: 40,
        maxMs: 4 * blockMs,
      });
      (isSlow ? slow : normal).push(...measured.latencies);
      failures += measured.failures;
    }
  } finally {
    stop = true;
    setSlow(false);
    await Promise.all(loops);
  }
  return {
    normalP99: p99(normal),
    slowP99: p99(slow),
    normalCount: normal.length,
    slowCount: slow.length,
    failures,
    uploadStatuses,
  };
}

/**
 * The pages-keep-their-pace check both kinds of slowness share: three members (named from
 * `usernamePrefix`) upload avatars while the front page is timed with S3 normal and slow in
 * turn; no page fails, and the slow blocks' p99 stays within 1.5× of the normal ones'.
 */
export async function expectFrontPageKeepsPace(
  origin: string,
  options: { label: string; usernamePrefix: string; color: string; setSlow: (slow: boolean) => void },
): Promise<void> {
  const uploaders = await signUpMembers(origin, options.usernamePrefix, 3);
  const image = await makeImage('png', 320, 320, options.color);
  expect((await uploadAvatar(uploaders[0]!, image)).status).toBe(303);
  // Warm the page's templates and connections, so the first block is not charged for them.
  for (let i = 0; i < 30; i++) await fetch(`${origin}/`).then((response) => response.arrayBuffer());

  const comparison = await comparePageLatency({ origin, uploaders, image, setSlow: options.setSlow });
  process.stderr.write(describeComparison(options.label, comparison));
  expect(comparison.failures).toBe(0);
  expect(comparison.slowCount).toBeGreaterThan(100);
  expect(comparison.normalCount).toBeGreaterThan(100);
  expect(comparison.slowP99).toBeLessThanOrEqual(1.5 * comparison.normalP99);
}

export function describeComparison(label: string, c: PageLatencyComparison): string {
  return `[slow-s3] ${label}: p99 of / normal ${c.normalP99.toFixed(1)} ms (${c.normalCount} requests), slow ${c.slowP99.toFixed(1)} ms (${c.slowCount} requests), ratio ${(c.slowP99 / c.normalP99).toFixed(2)}; background uploads by status ${JSON.stringify(c.uploadStatuses)}\n`;
}

/** The authenticated /healthz body. */
export async function healthOf(origin: string): Promise<{
  reasons: string[];
  storage: { s3: { breaker: string; lastError: string | undefined; slowAfterMs: number | undefined } };
}> {
  return (await fetch(`${origin}/healthz`, { headers: HEALTHZ_AUTH })).json();
}

/** Where the newest `count` stored files live ('s3', 'db', 'local'), newest first. */
export async function newestLocations(db: AppDatabase, count: number): Promise<string[]> {
  const rows = await db.selectFrom('stored_files').select('location').orderBy(sql`id`, 'desc').limit(count).execute();
  return rows.map((row) => row.location);
}
