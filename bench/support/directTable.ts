/**
 * The result table bench:direct prints: the web app's CPU per avatar upload, phase by phase,
 * for the form route and the direct-to-S3 flow, with medians and spreads over the rounds; the
 * two readings of "a direct upload costs the app ≤ 10 % of a form upload", each met or missed;
 * and the worker's CPU per direct upload, which is where the pipeline went.
 */
import os from 'node:os';
import sharp from 'sharp';
import type { RoundCpu } from './directRounds.ts';
import { fixed, spread, summarize, type Summary } from './stats.ts';

export const DIRECT_TARGET = 0.1;
/** Rest-of-the-machine CPU above this share of the app's form-upload CPU means a busy machine. */
const DISTURBANCE = 0.1;
const LABEL = 46;
const VALUE = 11;

export interface DirectResults {
  serverKind: string;
  photoCount: number;
  meanPhotoBytes: number;
  rounds: RoundCpu[];
  uploads: number;
  concurrency: number;
  appEnv: Record<string, string>;
  /** Sanity checks after the run, e.g. "no temporary objects left". */
  checks: string[];
}

/** The figures the table shows, per round, in app CPU ms per upload. */
export function figuresOf(round: RoundCpu, uploads: number) {
  const direct = round.presign.app + round.toBucket.app + round.finalize.app + round.processing.app;
  const directPhases = [round.presign, round.toBucket, round.finalize, round.processing, round.finalizeRefused];
  const worker = directPhases.reduce((total, phase) => total + phase.workerTotal, 0) / uploads;
  return {
    form: round.form.app,
    presign: round.presign.app,
    toBucket: round.toBucket.app,
    finalize: round.finalize.app,
    processing: round.processing.app,
    polls: round.processing.polls ?? Number.NaN,
    direct,
    worker,
    workerDuringForm: (round.form.workerTotal + round.formRefused.workerTotal) / uploads,
    c: worker / round.form.app,
    receive: round.formRefused.app,
    readBack: round.finalizeRefused.app,
    netAvoided: round.formRefused.app - round.finalizeRefused.app,
    a: direct / round.form.app,
    bTransfer: round.presign.app / round.formRefused.app,
    bForm: round.presign.app / round.form.app,
  };
}

const row = (label: string, value: string, rest = '') =>
  `${label.padEnd(LABEL)}${value.length >= VALUE ? `${value}  ` : value.padEnd(VALUE)}${rest}`.trimEnd();
const verdict = (ratio: number) => `target ≤ ${fixed(DIRECT_TARGET)}: ${ratio <= DIRECT_TARGET ? 'met' : 'MISSED'}`;

export function formatDirectTable(r: DirectResults): string {
  const per = r.rounds.map((round) => figuresOf(round, r.uploads));
  const of = (name: keyof ReturnType<typeof figuresOf>): Summary => summarize(per.map((figures) => figures[name]));
  const ms = (name: keyof ReturnType<typeof figuresOf>, note = '') => {
    const summary = of(name);
    return [fixed(summary.median, 1), `${spread(summary, 1)}${note ? `  ${note}` : ''}`] as const;
  };
  /** The median of the ratios round by round (both sides of a ratio are measured in the same round), and their spread. */
  const ratio = (label: string, byRound: keyof ReturnType<typeof figuresOf>, judged = true) => {
    const summary = of(byRound);
    return row(
      label,
      fixed(summary.median, 3),
      `${spread(summary, 3)} by round${judged ? `; ${verdict(summary.median)}` : ''}`,
    );
  };
  const s3 = (phase: keyof RoundCpu) => {
    const summary = summarize(r.rounds.map((round) => round[phase].s3));
    return Number.isNaN(summary.median) ? 'n/a' : fixed(summary.median, 1);
  };
  const otherMedian = summarize(r.rounds.map((round) => round.form.other)).median;
  const disturbed = otherMedian > DISTURBANCE * of('form').median;

  return [
    `bench:direct (${r.serverKind}, PostgreSQL, web app with WORKER=external + npm run worker, ${r.photoCount} images of 12 MP, mean ${fixed(r.meanPhotoBytes / 1e6)} MB, ${os.availableParallelism()} cores)`,
    row('web app CPU ms per avatar upload', 'median', 'spread'),
    row('form upload (POST /profile/avatar)', ...ms('form')),
    row('direct: presign', ...ms('presign')),
    row('direct: file → S3 (signed POST)', ...ms('toBucket', 'the app takes no part')),
    row('direct: finalize', ...ms('finalize', 'one 4100-byte ranged GET, the sniff, one statement; 202')),
    row(
      'direct: status polls until stored',
      ...ms('processing', `${fixed(of('polls').median, 1)} polls per upload (500 ms, then ×1.5)`),
    ),
    row('direct: whole flow', ...ms('direct')),
    ratio('(a) direct whole flow / form upload', 'a'),
    'where the pipeline went (the worker process, WORKER=external):',
    row('worker CPU ms per direct upload', ...ms('worker', 'read from S3, the pipeline, PUTs, the transaction')),
    ratio('(c) worker / form upload', 'c', false),
    row('worker CPU ms during form uploads', ...ms('workerDuringForm', 'idle: the form route runs in the web app')),
    'the bytes alone (the same file, refused by the format sniff before decoding):',
    row('form upload: receive the file', ...ms('receive', 'the transfer a direct upload takes off the app')),
    row('finalize: sniff its first 4100 bytes', ...ms('readBack', 'what the direct flow spends on the same bytes')),
    row('net avoided (receive − read back)', ...ms('netAvoided')),
    ratio('(b) presign / receive the file', 'bTransfer'),
    ratio('    presign / whole form upload', 'bForm'),
    `S3 server CPU ms per upload: form upload ${s3('form')}; direct: signed POST ${s3('toBucket')} + finalize ${s3('finalize')} + processing ${s3('processing')} (presign ${s3('presign')})`,
    '',
    ...(disturbed
      ? [
          `WARNING: the rest of the machine used ${fixed(otherMedian, 0)} ms of CPU per form upload; rerun on a quiet machine.`,
        ]
      : []),
    `${r.rounds.length} rounds × ${r.uploads} uploads each way (presign and signed POST: ${2 * r.uploads}, for the stored and the refused), interleaved, ` +
      `${r.concurrency} in flight; a ratio is the median of its per-round values;`,
    `CPU: utime + stime of the web app and of the worker (/proc/<pid>/stat) from a phase's first request to 200 ms after its last answer, ` +
      `in 10 ms ticks (±${fixed(10 / r.uploads, 1)} ms per upload).`,
    ...r.checks,
    ...(Object.keys(r.appEnv).length > 0
      ? [
          `app started with BENCH_APP_ENV: ${Object.entries(r.appEnv)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`,
        ]
      : []),
    `machine: ${os.availableParallelism()} cores, ${fixed(os.totalmem() / 1024 ** 3, 1)} GiB RAM, node ${process.version}, sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}`,
  ].join('\n');
}
