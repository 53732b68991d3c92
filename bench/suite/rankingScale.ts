/**
 * Scale: the ranking page (`GET /`) with 10,000 videos and 100,000 votes against the same
 * page with 100 videos, p99 latency under the same load. The data is written straight into
 * the database before each app starts (the app's own migrations make the schema). Runs in
 * PostgreSQL when BENCH_DATABASE_URL is set, else in PGlite. Target ≤ 2.0.
 */
import { sql } from 'kysely';
import path from 'node:path';
import { openDatabase } from '../../src/db/database.ts';
import { createBenchDatabase } from '../support/benchDatabase.ts';
import { loadPage, type PageLoad } from '../support/autocannon.ts';
import { log } from '../support/log.ts';
import { summarize } from '../support/stats.ts';
import {
  freshBucket,
  interleaved,
  scratchDir,
  startApp,
  type BenchmarkResult,
  type SuiteContext,
} from './suiteContext.ts';

const CONNECTIONS = 10;
const MEMBERS = 1_000;

interface Catalog {
  videos: number;
  votes: number;
}

/** Members, videos and votes in bulk, each video's vote_count equal to its votes (as the vote route keeps it). */
async function seedCatalog(target: { databaseUrl?: string; dataDir: string }, catalog: Catalog): Promise<void> {
  const db = await openDatabase({
    databaseUrl: target.databaseUrl,
    dataDir: target.databaseUrl ? undefined : path.join(target.dataDir),
  });
  try {
    const votesPerMember = Math.ceil(catalog.votes / MEMBERS);
    await sql`insert into users (username, password_hash, created_at)
      select 'scale-' || n, 'not-a-hash', now() - n * interval '1 minute' from generate_series(1, ${MEMBERS}) as n`.execute(
      db,
    );
    await sql`insert into videos (owner_id, title, source_url, created_at)
      select 1 + (n % ${MEMBERS}), 'Scale video ' || n, 'https://videos.example.com/watch/' || n, now() - n * interval '1 second'
      from generate_series(1, ${catalog.videos}) as n`.execute(db);
    // Member m votes for k-spaced videos: distinct pairs, and a skewed spread like real voting.
    await sql`insert into votes (video_id, user_id)
      select distinct 1 + ((m * 37 + (k * k) % ${catalog.videos}) % ${catalog.videos}), m
      from generate_series(1, ${MEMBERS}) as m, generate_series(0, ${votesPerMember - 1}) as k
      limit ${catalog.votes}`.execute(db);
    await sql`update videos set vote_count = counted.n from (select video_id, count(*)::int as n from votes group by video_id) as counted where counted.video_id = videos.id`.execute(
      db,
    );
    await sql`analyze`.execute(db);
    const counts = await sql<{
      videos: number;
      votes: number;
    }>`select (select count(*)::int from videos) as videos, (select count(*)::int from votes) as votes`.execute(db);
    log(`scale: seeded ${counts.rows[0]!.videos} videos and ${counts.rows[0]!.votes} votes`);
  } finally {
    await db.destroy();
  }
}

export async function benchmarkRankingScale(context: SuiteContext): Promise<BenchmarkResult> {
  const large: Catalog = context.tiny ? { videos: 500, votes: 5_000 } : { videos: 10_000, votes: 100_000 };
  const small: Catalog = { videos: 100, votes: 1_000 };
  const seconds = context.tiny ? 1 : 5;
  const bucket = await freshBucket(context);
  const apps = [];
  for (const catalog of [large, small]) {
    const workDir = await scratchDir(context, 'scale');
    let databaseUrl: string | undefined;
    if (context.adminDatabaseUrl) {
      const database = await createBenchDatabase(context.adminDatabaseUrl);
      context.defer(() => database.drop());
      databaseUrl = database.url;
    }
    await seedCatalog({ databaseUrl, dataDir: path.join(workDir, 'data') }, catalog);
    apps.push(await startApp(context, { workDir, bucket, databaseUrl }));
  }
  const [largeUrl, smallUrl] = apps.map((app) => `${app.origin}/`) as [string, string];
  for (const url of [largeUrl, smallUrl]) await loadPage(url, { connections: CONNECTIONS, seconds: 1 }); // warm-up
  const [largeRuns, smallRuns] = (await interleaved<PageLoad>(context.rounds, [
    () => loadPage(largeUrl, { connections: CONNECTIONS, seconds }),
    () => loadPage(smallUrl, { connections: CONNECTIONS, seconds }),
  ])) as [PageLoad[], PageLoad[]];
  const median = (runs: PageLoad[], pick: (run: PageLoad) => number) => summarize(runs.map(pick)).median;
  const label = (catalog: Catalog) => `${catalog.videos.toLocaleString('en')} videos`;
  return {
    name: 'ranking at scale',
    setting: `GET / in ${context.adminDatabaseUrl ? 'PostgreSQL' : 'PGlite (set BENCH_DATABASE_URL for PostgreSQL)'}: ${label(large)} and ${large.votes.toLocaleString('en')} votes vs ${label(small)}, ${CONNECTIONS} connections × ${seconds} s`,
    rows: [
      {
        figure: `p99 latency ms: ${label(large)} / ${label(small)}`,
        ours: median(largeRuns, (run) => run.p99Ms).toFixed(1),
        baseline: median(smallRuns, (run) => run.p99Ms).toFixed(1),
        ratio: summarize(largeRuns.map((run, i) => run.p99Ms / Math.max(smallRuns[i]!.p99Ms, 1))),
        target: { atMost: 2.0 },
      },
      {
        figure: `requests/s: ${label(large)} / ${label(small)}`,
        ours: median(largeRuns, (run) => run.requestsPerSecond).toFixed(0),
        baseline: median(smallRuns, (run) => run.requestsPerSecond).toFixed(0),
        ratio: summarize(largeRuns.map((run, i) => run.requestsPerSecond / smallRuns[i]!.requestsPerSecond)),
        note: 'reported, no target',
      },
    ],
  };
}
