/**
 * Uploads per second through the app's route and through the bare pipeline in this process,
 * round by round on the same photos, with where the CPU went in each round.
 */
import os from 'node:os';
import type { AppRun } from './appRun.ts';
import { startCpuMeter } from './cpuTime.ts';
import { createInProcessPipeline } from './inProcessPipeline.ts';
import type { Photo } from './jpegs.ts';
import { log } from './log.ts';
import { uploadsPerRound, type BenchOptions } from './options.ts';
import { runPool, type PoolResult } from './pool.ts';
import { assertNoFailures, uploadRound } from './routeUploads.ts';
import { fixed, summarize } from './stats.ts';
import type { DatabaseSection } from './table.ts';

type Throughput = Pick<DatabaseSection, 'route' | 'floor' | 'ratioByRound' | 'cpuMsPerUpload'>;
type CpuPerUpload = Record<string, number>;

/** `databaseCommand`: the command name of a local database server whose CPU to count (`postgres`). */
export async function measureThroughput(
  run: AppRun,
  photos: Photo[],
  options: BenchOptions,
  s3Pid: number | undefined,
  databaseCommand?: string,
): Promise<Throughput> {
  const count = uploadsPerRound(options);
  const pipeline = createInProcessPipeline();
  const route: Array<{ perSecond: number; cpu: CpuPerUpload }> = [];
  const floor: Array<{ perSecond: number; cpu: CpuPerUpload }> = [];

  const measure = async (side: string, pids: Record<string, number | undefined>, work: () => Promise<PoolResult>) => {
    const meter = startCpuMeter(pids, databaseCommand ? { database: databaseCommand } : {});
    const result = await work();
    assertNoFailures(side, result);
    const used = meter.read();
    const cpu = Object.fromEntries(Object.entries(used).map(([name, seconds]) => [name, (seconds * 1000) / count]));
    const busySeconds = Object.values(used)
      .filter((seconds) => !Number.isNaN(seconds))
      .reduce((a, b) => a + b, 0);
    const cpuText = Object.entries(cpu)
      .map(([name, ms]) => `${name} ${fixed(ms, 0)}`)
      .join(', ');
    log(
      `  ${side}: ${fixed(result.perSecond)} uploads/s, cores ${fixed((busySeconds / (result.seconds * os.availableParallelism())) * 100, 0)}% busy; CPU ms per upload: ${cpuText}`,
    );
    return { perSecond: result.perSecond, cpu };
  };
  const viaRoute = async () =>
    route.push(
      await measure('route', { app: run.app.pid, s3: s3Pid }, () =>
        uploadRound(run.members, photos, count, options.concurrency, run.ledger),
      ),
    );
  const inProcess = async () =>
    floor.push(
      await measure('in-process', {}, () =>
        runPool(count, options.concurrency, (index) => pipeline(photos[index % photos.length]!.bytes)),
      ),
    );

  for (let round = 1; round <= options.rounds; round++) {
    log(`${run.label} round ${round}/${options.rounds} (${count} uploads each way)`);
    // Alternate which goes first, so a drift over the run favours neither side.
    if (round % 2 === 1) await viaRoute().then(inProcess);
    else await inProcess().then(viaRoute);
  }

  const medianOf = (rows: typeof route, name: string) =>
    summarize(rows.map((row) => row.cpu[name] ?? Number.NaN)).median;
  return {
    route: summarize(route.map((row) => row.perSecond)),
    floor: summarize(floor.map((row) => row.perSecond)),
    ratioByRound: summarize(route.map((row, i) => row.perSecond / floor[i]!.perSecond)),
    cpuMsPerUpload: {
      inProcess: medianOf(floor, 'bench'),
      app: medianOf(route, 'app'),
      s3: medianOf(route, 's3'),
      client: medianOf(route, 'bench'),
      database: databaseCommand ? medianOf(route, 'database') : Number.NaN,
      other: medianOf(route, 'other'),
      otherInProcess: medianOf(floor, 'other'),
    },
  };
}
