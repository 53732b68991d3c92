/**
 * Scale-out: the image-heavy home page served by two web instances on one PostgreSQL and one
 * bucket (Render's `numInstances: 2`, each instance with its own disk) against one instance
 * alone. Requests per second of both instances loaded at once are summed and set against one
 * instance loaded alone, with the same connections per instance. Two instances share a
 * database only on a server, so this runs only when BENCH_DATABASE_URL is set.
 *
 * On this machine both instances and both load generators share the same cores, so the ratio
 * is bounded by the machine, not by the app: on Render each instance has its own CPU. What
 * the row proves is that nothing in the app serialises instances (a lock, a shared cache
 * refresh, a database hot spot): a second instance adds capacity instead of taking it away —
 * which the CPU each request costs shows on any machine: two instances may not cost more per
 * request than one (target ≤ 1.1).
 */
import { loadPage, type PageLoad } from '../support/autocannon.ts';
import { cpuSeconds } from '../support/cpuTime.ts';
import { createBenchDatabase } from '../support/benchDatabase.ts';
import { log } from '../support/log.ts';
import { summarize } from '../support/stats.ts';
import { seedImageHeavyHome } from './imageHeavyHome.ts';
import {
  freshBucket,
  interleaved,
  scratchDir,
  startApp,
  type BenchmarkResult,
  type SuiteContext,
} from './suiteContext.ts';

const CONNECTIONS_PER_INSTANCE = 10;

interface PairLoad {
  requestsPerSecond: number;
  p99Ms: number;
  /** The serving instances' CPU seconds per 1,000 requests: what a request costs, whatever the machine's cores allow. */
  cpuPerThousand: number;
}

/** Runs `load` and charges it the CPU the given app processes spent meanwhile. */
async function metered(pids: number[], load: () => Promise<PageLoad[]>): Promise<PairLoad> {
  const cpu = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const before = cpu();
  const runs = await load();
  const spent = cpu() - before;
  const requests = runs.reduce((sum, run) => sum + run.requests, 0);
  return {
    requestsPerSecond: runs.reduce((sum, run) => sum + run.requestsPerSecond, 0),
    p99Ms: Math.max(...runs.map((run) => run.p99Ms)),
    cpuPerThousand: (spent / requests) * 1000,
  };
}

export async function benchmarkTwoInstances(context: SuiteContext): Promise<BenchmarkResult> {
  const name = 'two web instances';
  if (!context.adminDatabaseUrl) {
    log('scaleout: not run — two instances share one database only on PostgreSQL (set BENCH_DATABASE_URL)');
    return {
      name,
      setting: 'not run: set BENCH_DATABASE_URL=postgres://… so two instances can share one database',
      rows: [],
    };
  }
  const cards = context.tiny ? 6 : 60;
  const members = context.tiny ? 2 : 12;
  const seconds = context.tiny ? 1 : 5;
  const bucket = await freshBucket(context);
  const database = await createBenchDatabase(context.adminDatabaseUrl);
  context.defer(() => database.drop());
  const instance = async (label: string) =>
    startApp(context, { workDir: await scratchDir(context, `scaleout-${label}`), bucket, databaseUrl: database.url });

  const first = await instance('a');
  await seedImageHeavyHome(context, first.origin, { members, cards });
  const second = await instance('b');
  const [firstUrl, secondUrl] = [`${first.origin}/`, `${second.origin}/`];
  await assertSameCards(firstUrl, secondUrl, cards);
  log(`scaleout: ${cards} cards served by two instances on one PostgreSQL database`);

  const options = { connections: CONNECTIONS_PER_INSTANCE, seconds };
  for (const url of [firstUrl, secondUrl]) await loadPage(url, { ...options, seconds: 1 }); // warm-up, unmeasured
  const [pairRuns, aloneRuns] = (await interleaved<PairLoad>(context.rounds, [
    () =>
      metered([first.pid, second.pid], () => Promise.all([loadPage(firstUrl, options), loadPage(secondUrl, options)])),
    () => metered([first.pid], async () => [await loadPage(firstUrl, options)]),
  ])) as [PairLoad[], PairLoad[]];
  const median = (runs: PairLoad[], pick: (run: PairLoad) => number) => summarize(runs.map(pick)).median;
  return {
    name,
    setting: `GET / with ${cards} cards on PostgreSQL, ${CONNECTIONS_PER_INSTANCE} connections per instance × ${seconds} s`,
    rows: [
      {
        figure: 'requests/s: 2 instances summed / 1 instance',
        ours: median(pairRuns, (run) => run.requestsPerSecond).toFixed(0),
        baseline: median(aloneRuns, (run) => run.requestsPerSecond).toFixed(0),
        ratio: summarize(pairRuns.map((run, i) => run.requestsPerSecond / aloneRuns[i]!.requestsPerSecond)),
        note: 'reported: both instances share this machine’s cores',
      },
      {
        figure: 'app CPU s per 1,000 requests: 2 instances / 1 instance',
        ours: median(pairRuns, (run) => run.cpuPerThousand).toFixed(2),
        baseline: median(aloneRuns, (run) => run.cpuPerThousand).toFixed(2),
        ratio: summarize(pairRuns.map((run, i) => run.cpuPerThousand / aloneRuns[i]!.cpuPerThousand)),
        target: { atMost: 1.1 },
      },
      {
        figure: 'p99 latency ms: 2 instances (worse one) / 1 instance',
        ours: median(pairRuns, (run) => run.p99Ms).toFixed(1),
        baseline: median(aloneRuns, (run) => run.p99Ms).toFixed(1),
        ratio: summarize(pairRuns.map((run, i) => run.p99Ms / Math.max(aloneRuns[i]!.p99Ms, 1))),
        note: 'reported, no target',
      },
    ],
  };
}

/** Both instances must show the same cards, or one of them is not reading the shared database. */
async function assertSameCards(firstUrl: string, secondUrl: string, cards: number): Promise<void> {
  for (const url of [firstUrl, secondUrl]) {
    const html = await (await fetch(url, { headers: { 'x-forwarded-proto': 'https' } })).text();
    const shown = html.match(/class="video-card"/g)?.length ?? 0;
    if (shown !== cards) throw new Error(`${url} shows ${shown} video cards, expected ${cards}`);
  }
}
