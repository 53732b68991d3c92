/**
 * bench:direct's rounds: the app's CPU per avatar upload through the form route and through
 * the direct-to-S3 flow, phase by phase, on the same photos and members, in alternating
 * order. Each phase is metered alone (the web app's, the worker's and the S3 server's utime +
 * stime from /proc), from its first request until TRAIL_MS after its last answer, so work a
 * phase leaves running in the background (garbage collection) is charged to it and not the
 * next. The direct flow's processing phase (status polls until every upload is stored) ends only once the worker has stored them all, so its CPU lands there.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startCpuMeter } from './cpuTime.ts';
import {
  finalize,
  followToStored,
  presign,
  refusedFormUpload,
  sendToBucket,
  unrecognisable,
  type SignedUpload,
} from './directClient.ts';
import type { HttpMember } from './httpMember.ts';
import type { Photo } from './jpegs.ts';
import { log } from './log.ts';
import { fixed } from './stats.ts';

const TRAIL_MS = 200;

export const PHASES = [
  'form',
  'formRefused',
  'presign',
  'toBucket',
  'finalize',
  'processing',
  'finalizeRefused',
] as const;
export type Phase = (typeof PHASES)[number];

export const PHASE_LABELS: Record<Phase, string> = {
  form: 'form upload (POST /profile/avatar)',
  formRefused: 'form upload refused by the sniff',
  presign: 'direct: presign',
  toBucket: 'direct: file → S3 (signed POST)',
  finalize: 'direct: finalize (202, job queued)',
  processing: 'direct: status polls until stored',
  finalizeRefused: 'direct: finalize refused by the sniff',
};

/**
 * CPU milliseconds per item of a phase: the web app's; the S3 server's (NaN for s3rver, which
 * runs inside the benchmark); the rest of the machine's (neither those nor the benchmark
 * itself). The worker's, in total over the phase (its work is per stored upload, whichever
 * phase it falls in); and for the processing phase, the status polls per upload.
 */
export interface PhaseCpu {
  app: number;
  s3: number;
  other: number;
  workerTotal: number;
  polls?: number;
}
export type RoundCpu = Record<Phase, PhaseCpu>;

export interface RoundSetup {
  appPid: number;
  workerPid: number;
  s3Pid: number | undefined;
  members: HttpMember[];
  photos: Photo[];
  /** Uploads per phase (presign and the S3 POST handle twice as many: the stored ones and the refused ones). */
  uploads: number;
}

interface Signed {
  member: HttpMember;
  upload: SignedUpload;
  photo: Photo;
  bytes: Buffer;
}

export function createRounds(setup: RoundSetup) {
  const { members, photos, uploads } = setup;
  const refusedBytes = photos.map((photo) => unrecognisable(photo.bytes));
  const photoFor = (index: number) => photos[index % photos.length]!;
  const refusedFor = (index: number) => refusedBytes[index % photos.length]!;

  /** Runs `work`, then reads the CPU it cost per item. */
  async function metered(phase: Phase, items: number, work: () => Promise<void>): Promise<PhaseCpu> {
    const meter = startCpuMeter({ app: setup.appPid, worker: setup.workerPid, s3: setup.s3Pid });
    const started = performance.now();
    await work();
    const seconds = (performance.now() - started) / 1000;
    await sleep(TRAIL_MS);
    const used = meter.read();
    const perItem = (name: string) => (used[name] === undefined ? Number.NaN : (used[name] * 1000) / items);
    const cpu = {
      app: perItem('app'),
      s3: perItem('s3'),
      other: perItem('other'),
      workerTotal: (used.worker ?? Number.NaN) * 1000,
    };
    log(
      `  ${PHASE_LABELS[phase].padEnd(40)} ${items} in ${fixed(seconds, 1)} s; CPU ms each: app ${fixed(cpu.app, 1)}, worker ${fixed(cpu.workerTotal / items, 1)}, S3 server ${Number.isNaN(cpu.s3) ? 'n/a' : fixed(cpu.s3, 1)}, rest of the machine ${fixed(cpu.other, 1)}`,
    );
    return cpu;
  }

  async function formSide(into: Partial<RoundCpu>, measure: boolean): Promise<void> {
    const run = (phase: Phase, job: (index: number, member: HttpMember) => Promise<void>) =>
      measure
        ? metered(phase, uploads, () => perMember(uploads, members, job))
        : perMember(members.length, members, job).then(() => undefined);
    const form = await run('form', (index, member) => member.uploadAvatar(photoFor(index).name, photoFor(index).bytes));
    const formRefused = await run('formRefused', (index, member) =>
      refusedFormUpload(member, photoFor(index).name, refusedFor(index)),
    );
    if (form && formRefused) Object.assign(into, { form, formRefused });
  }

  async function directSide(into: Partial<RoundCpu>, measure: boolean): Promise<void> {
    const count = measure ? uploads : members.length;
    // The first `count` are stored, the next `count` refused; upload i belongs to member i mod members.
    const signed: Signed[] = [];
    const run = (phase: Phase, items: number, job: (index: number, member: HttpMember) => Promise<void>) =>
      measure
        ? metered(phase, items, () => perMember(items, members, job))
        : perMember(items, members, job).then(() => undefined);
    const presigned = await run('presign', 2 * count, async (index, member) => {
      const refused = index >= count;
      const bytes = refused ? refusedFor(index) : photoFor(index).bytes;
      signed[index] = { member, upload: await presign(member, bytes.length), photo: photoFor(index), bytes };
    });
    const toBucket = await run('toBucket', 2 * count, (index) =>
      sendToBucket(signed[index]!.upload, signed[index]!.photo.name, signed[index]!.bytes),
    );
    const finalized = await run('finalize', count, (index, member) =>
      finalize(member, signed[index]!.upload.key, 'stored'),
    );
    let polls = 0;
    const processing = await run('processing', count, async (index, member) => {
      const pollsMade = await followToStored(member, signed[index]!.upload.key);
      polls += pollsMade;
    });
    if (processing) processing.polls = polls / count;
    const finalizeRefused = await run('finalizeRefused', count, (index, member) =>
      finalize(member, signed[count + index]!.upload.key, 'refused'),
    );
    if (presigned && toBucket && finalized && processing && finalizeRefused)
      Object.assign(into, { presign: presigned, toBucket, finalize: finalized, processing, finalizeRefused });
  }

  return {
    /**
     * Unmeasured, per member: one refused form upload (startAppRun has already sent one stored),
     * then the direct side twice (in a first try presign stayed ~40 % dearer for two more
     * rounds after a single pass). Both code paths compiled, pools and connections open.
     */
    async warmUp(): Promise<void> {
      await formSide({}, false);
      await directSide({}, false);
      await directSide({}, false);
    },

    /** Odd rounds run the form side first, even rounds the direct side, so a drift favours neither. */
    async round(index: number): Promise<RoundCpu> {
      const cpu: Partial<RoundCpu> = {};
      if (index % 2 === 1) await formSide(cpu, true).then(() => directSide(cpu, true));
      else await directSide(cpu, true).then(() => formSide(cpu, true));
      for (const phase of PHASES) if (!cpu[phase]) throw new Error(`round ${index}: phase ${phase} was not measured`);
      return cpu as RoundCpu;
    },
  };
}

/**
 * Item i is done by member i mod members.length, each member's items one after another: a
 * member never has two requests in flight (an avatar replacement deletes the previous one),
 * and whoever presigned an upload finalizes it. Throws on the first failure — a phase with a
 * failed upload measures nothing.
 */
async function perMember(
  items: number,
  members: HttpMember[],
  job: (index: number, member: HttpMember) => Promise<void>,
): Promise<void> {
  await Promise.all(
    members.map(async (member, worker) => {
      for (let index = worker; index < items; index += members.length) await job(index, member);
    }),
  );
}
