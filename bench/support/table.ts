/**
 * The result table bench:images prints: for each database the app ran on, medians with
 * their spread and each target met or missed, then the figures that explain them.
 */
import os from 'node:os';
import sharp from 'sharp';
import type { BenchOptions } from './options.ts';
import { fixed, mib, spread, type Summary } from './stats.ts';

export interface MemoryFigures {
  startRss: number;
  warmRss: number;
  /** Idle, right before the burst (after the throughput rounds). */
  beforeBurstRss: number;
  peak: number;
  peakSource: string;
}

export interface DatabaseSection {
  label: string;
  route: Summary;
  floor: Summary;
  ratioByRound: Summary;
  /**
   * Medians over the rounds. NaN: not measured apart — `s3` when s3rver runs inside the
   * benchmark, `database` for PGlite (inside the app) or a PostgreSQL on another machine.
   */
  cpuMsPerUpload: {
    inProcess: number;
    app: number;
    s3: number;
    database: number;
    client: number;
    other: number;
    otherInProcess: number;
  };
  memory: MemoryFigures;
  storage: { storedBytes: number; uploadedBytes: number; images: number; objects: number };
}

export interface BenchResults {
  serverKind: string;
  photoCount: number;
  meanPhotoBytes: number;
  options: BenchOptions;
  uploadsPerRound: number;
  /** A section per database, or why that one was not run. */
  sections: Array<DatabaseSection | string>;
}

export const RATIO_TARGET = 0.85;
export const PEAK_TARGET_MIB = 300;
/** "Elsewhere" CPU during the in-process rounds above this share of the pipeline's own means a busy machine. */
const DISTURBANCE = 0.1;
const LABEL = 35;
const VALUE = 11;

const row = (label: string, value: string, rest = '') =>
  `${label.padEnd(LABEL)}${value.length >= VALUE ? `${value}  ` : value.padEnd(VALUE)}${rest}`.trimEnd();
const verdict = (met: boolean) => (met ? 'met' : 'MISSED');

export function formatTable(r: BenchResults): string {
  const { concurrency, burst } = r.options;
  const lines = [
    `bench:images (${r.serverKind}, ${r.photoCount} images of 12 MP, mean ${fixed(r.meanPhotoBytes / 1e6)} MB, ${os.availableParallelism()} cores)`,
    row('', 'median', 'spread'),
  ];
  for (const section of r.sections) {
    if (typeof section === 'string') {
      lines.push(section);
      continue;
    }
    const { memory: m, storage: s, cpuMsPerUpload: cpu } = section;
    const ratio = section.route.median / section.floor.median;
    const ms = (value: number) => (Number.isNaN(value) ? 'n/a' : fixed(value, 0));
    lines.push(
      `${section.label === 'PGlite' ? 'embedded PGlite (DATABASE_URL unset)' : `${section.label} (BENCH_DATABASE_URL)`}:`,
      row(`route uploads/s (c=${concurrency})`, fixed(section.route.median), spread(section.route)),
      row('in-process pipeline uploads/s', fixed(section.floor.median), spread(section.floor)),
      row(
        'ratio route / in-process',
        fixed(ratio),
        `${spread(section.ratioByRound)} by round; target ≥ ${RATIO_TARGET}: ${verdict(ratio >= RATIO_TARGET)}`,
      ),
      row(
        `app RSS idle / peak at c=${burst}`,
        `${mib(m.beforeBurstRss)} / ${mib(m.peak)}`,
        `${m.peak >= m.beforeBurstRss ? '+' : '−'}${mib(Math.abs(m.peak - m.beforeBurstRss))} over idle; target peak ≤ ${PEAK_TARGET_MIB} MiB: ${verdict(m.peak <= PEAK_TARGET_MIB * 1024 * 1024)}`,
      ),
      row('  RSS at start / after warm-up', `${mib(m.startRss)} / ${mib(m.warmRss)}`),
      row(
        'stored bytes / uploaded bytes',
        fixed(s.storedBytes / s.uploadedBytes, 4),
        `${fixed(s.storedBytes / s.images / 1e3, 1)} kB stored vs ${fixed(s.uploadedBytes / s.images / 1e6)} MB uploaded per image`,
      ),
      row(
        '  CPU ms per upload',
        `${ms(cpu.inProcess)} in-process (+${ms(cpu.otherInProcess)} elsewhere); via the route: app ${ms(cpu.app)}, S3 server ${ms(cpu.s3)}, ` +
          `${Number.isNaN(cpu.database) ? '' : `PostgreSQL ${ms(cpu.database)}, `}` +
          `HTTP client${Number.isNaN(cpu.s3) ? ' (and s3rver)' : ''} ${ms(cpu.client)}, rest of the machine ${ms(cpu.other)}`,
      ),
    );
  }
  const disturbed = r.sections.some(
    (section) =>
      typeof section !== 'string' &&
      section.cpuMsPerUpload.otherInProcess > DISTURBANCE * section.cpuMsPerUpload.inProcess,
  );
  lines.push(
    '',
    ...(disturbed
      ? [
          'WARNING: other processes on this machine were busy during the in-process rounds ("elsewhere" above); rerun on a quiet machine.',
        ]
      : []),
    `${r.options.rounds} rounds × ${r.uploadsPerRound} uploads each way, interleaved; peak RSS: the app process's ${peakSource(r)} over the burst alone;`,
    `stored bytes: every object in the bucket, over the photos behind the members' current avatars.`,
    ...(Object.keys(r.options.appEnv).length > 0
      ? [
          `app started with BENCH_APP_ENV: ${Object.entries(r.options.appEnv)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`,
        ]
      : []),
    `machine: ${os.availableParallelism()} cores, ${fixed(os.totalmem() / 1024 ** 3, 1)} GiB RAM, node ${process.version}, sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}`,
  );
  return lines.join('\n');
}

function peakSource(r: BenchResults): string {
  const sources = new Set(
    r.sections.flatMap((section) => (typeof section === 'string' ? [] : [section.memory.peakSource])),
  );
  return [...sources].join(' / ') || 'VmHWM';
}
