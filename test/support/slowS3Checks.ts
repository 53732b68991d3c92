/**
 * What the slow-S3 tests (test/hostile/slowS3*.test.ts) check on a running app, whatever makes
 * S3 slow: the front page's p99 in alternating normal and slow blocks under the same upload
 * traffic, and what /healthz and the database say about where uploads went.
 */
import { sql } from 'kysely';
import type { AppDatabase } from '../../src/db/database.ts';
import { frontPageLatencies, p99, uploadAvatar } from './appUnderLoad.ts';
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
      const measured = await frontPageLatencies(origin, { durationMs: blockMs, maxRequests: 1_000 });
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
