/**
 * The soak run's judgement (bench/soak), without running one: its fault plan for a 10-minute
 * and a 2-minute run, what counts as inside a fault window, and that each invariant fails on
 * the results that should fail it — a 5xx outside the windows, an accepted upload not found, a
 * broken image, a leftover in the outage store, RSS growth past 10 %, an orphan after gc, an
 * app that exited by itself. CI's short soak run (.ci/run) is the end-to-end check.
 */
import { describe, expect, it } from 'vitest';
import { duringFault, planFaults, RECOVERY_GRACE_MS, type FaultWindow } from '../../bench/soak/faultPlan.ts';
import { countLogLines } from '../../bench/soak/logCounts.ts';
import { imageUrlsIn } from '../../bench/soak/pageImages.ts';
import { failedVerdicts, judgeSoak, type SoakResults } from '../../bench/soak/soakVerdict.ts';
import { formatSoakTable } from '../../bench/soak/soakTable.ts';
import { UPLOAD_KINDS } from '../../bench/soak/trafficReport.ts';

const T0 = Date.UTC(2026, 11, 2);
const at = (seconds: number) => T0 + seconds * 1000;

function passingResults(): SoakResults {
  const windows: FaultWindow[] = [{ kind: 's3-down', startedAt: at(30), endedAt: at(52) }];
  return {
    minutes: 2,
    database: 'PostgreSQL 15',
    planned: planFaults(120, { postgresRestart: true }).slice(0, 1),
    windows,
    requests: [
      { method: 'GET', path: '/', status: 200, startedAt: at(1), endedAt: at(1.1) },
      { method: 'POST', path: '/videos', status: 500, startedAt: at(40), endedAt: at(41) },
    ],
    uploads: UPLOAD_KINDS.map((kind, index) => ({
      kind,
      member: `m${index}`,
      accepted: true,
      status: 303,
      startedAt: at(2 + index),
      endedAt: at(3 + index),
    })),
    storage: {
      filesByLocation: { s3: 5 },
      lostFiles: 0,
      missingObjects: [],
      lostUploads: [],
      superseded: 0,
      outageStoreFiles: 0,
      outageStoreBytes: 0,
      pendingPrimaryCopies: 0,
      localFiles: 0,
      orphanObjects: 0,
      orphanSamples: [],
      newestLeftoverAt: undefined,
      incomingLeftovers: 0,
      usernames: ['m0'],
      videoIds: [1],
      orphansBeforeGc: 3,
      incomingBeforeGc: 1,
      gcExitCode: 0,
    },
    images: { pages: 3, pagesFailed: [], images: 9, broken: [], timedOut: false },
    logs: { storedIn: { s3: 4, db: 1 }, fallbacks: 1, resyncMoved: 1, resyncFailed: 0, errors: [] },
    rss: { startBytes: 300 * 2 ** 20, endBytes: 320 * 2 ** 20, warmUpSeconds: 180, windowSeconds: 60 },
    drained: true,
    unplannedExits: [],
  };
}

const failed = (results: SoakResults) => failedVerdicts(judgeSoak(results)).map((verdict) => verdict.invariant);

describe('the soak run', () => {
  it('plans ten S3 outages, one kill each and one PostgreSQL restart in ten minutes, none overlapping', () => {
    const plan = planFaults(600, { postgresRestart: true });
    expect(plan.filter((fault) => fault.kind === 's3-down')).toHaveLength(10);
    expect(plan.filter((fault) => fault.kind !== 's3-down').map((fault) => fault.kind)).toEqual([
      'app-kill',
      'postgres-restart',
      'worker-kill',
    ]);
    const spans = plan.map((fault) => [fault.atSeconds, fault.atSeconds + fault.downSeconds] as const);
    for (const [i, [start, end]] of spans.entries())
      for (const [otherStart] of spans.slice(i + 1)) expect(otherStart >= end || otherStart < start).toBe(true);
    expect(Math.max(...spans.map(([, end]) => end))).toBeLessThanOrEqual(595);
  });

  it('still has every kind of fault in two minutes, and no PostgreSQL restart when the server is not its own', () => {
    expect(new Set(planFaults(120, { postgresRestart: true }).map((fault) => fault.kind)).size).toBe(4);
    expect(planFaults(120, { postgresRestart: false }).some((fault) => fault.kind === 'postgres-restart')).toBe(false);
  });

  it('counts a request as inside a fault when it overlaps the window or the recovery grace after it', () => {
    const windows: FaultWindow[] = [{ kind: 'app-kill', startedAt: at(10), endedAt: at(12) }];
    expect(duringFault({ startedAt: at(9), endedAt: at(10.5) }, windows)).toBe(true);
    expect(duringFault({ startedAt: at(12) + RECOVERY_GRACE_MS - 1, endedAt: at(40) }, windows)).toBe(true);
    expect(duringFault({ startedAt: at(12) + RECOVERY_GRACE_MS + 1, endedAt: at(40) }, windows)).toBe(false);
    expect(duringFault({ startedAt: at(1), endedAt: at(9) }, windows)).toBe(false);
  });

  it('passes results that hold every invariant, a 5xx inside a window included', () => {
    expect(failed(passingResults())).toEqual([]);
  });

  it('fails each invariant on results that break it, and names it', () => {
    const cases: Array<[string, (r: SoakResults) => void]> = [
      [
        'no 5xx outside the fault windows',
        (r) => r.requests.push({ method: 'GET', path: '/', status: 502, startedAt: at(90), endedAt: at(91) }),
      ],
      [
        'every request answered outside the fault windows',
        (r) => r.requests.push({ method: 'GET', path: '/', status: 0, startedAt: at(90), endedAt: at(120) }),
      ],
      [
        'every upload answered with success is on S3 with its row',
        (r) => r.storage.lostUploads.push({ kind: 'avatar-form', detail: 'no file row' }),
      ],
      ['zero files lost: every row in S3, every object it names there', (r) => (r.storage.filesByLocation.db = 1)],
      [
        'every image on every page loads',
        (r) => r.images.broken.push('http://127.0.0.1:1/b/avatars/x.webp: answered 404'),
      ],
      ['outage store, outbox and local disk empty after resync', (r) => (r.storage.outageStoreFiles = 1)],
      ['after storage:gc, no object in the bucket without a row', (r) => (r.storage.orphanObjects = 2)],
      [
        'app RSS at the end within 10 % of the start after warm-up',
        (r) => {
          r.minutes = 10;
          r.rss.endBytes = 331 * 2 ** 20;
        },
      ],
      [
        'the app and the worker ran to the end (no exit but the planned kills)',
        (r) => r.unplannedExits.push('the app (pid 1) exited on its own'),
      ],
      ['every planned fault happened', (r) => r.windows.pop()],
      ['the traffic reached every upload kind, and S3 outages were felt', (r) => (r.logs.fallbacks = 0)],
    ];
    for (const [invariant, breakIt] of cases) {
      const results = passingResults();
      breakIt(results);
      expect(failed(results), invariant).toEqual(
        invariant === 'every planned fault happened' ? ['no 5xx outside the fault windows', invariant] : [invariant],
      );
    }
  });

  it('prints the RSS of a run shorter than 10 minutes without judging it, and judges it from 10 minutes', () => {
    const short = passingResults();
    short.rss.endBytes = 390 * 2 ** 20;
    expect(failed(short)).toEqual([]);
    expect(formatSoakTable(short, judgeSoak(short))).toContain(
      'NOT JUDGED  app RSS at the end within 10 % of the start after warm-up: +30.0 %, judged on runs of 10 minutes or more',
    );
    const full = { ...passingResults(), minutes: 10 };
    full.rss.endBytes = 390 * 2 ** 20;
    expect(failed(full)).toEqual(['app RSS at the end within 10 % of the start after warm-up']);
  });

  it('names the objects gc left without a row, with their age, in the failed verdict itself', () => {
    const results = passingResults();
    results.storage.orphanObjects = 2;
    results.storage.orphanSamples = ['avatars/a.webp (written 1.2 s ago)', 'avatars/b.webp (written 0.8 s ago)'];
    const orphans = judgeSoak(results).find((each) => each.invariant.startsWith('after storage:gc'));
    expect(orphans?.ok).toBe(false);
    expect(orphans?.detail).toBe(
      '3 before, 2 after (storage:gc exit code 0); first left: avatars/a.webp (written 1.2 s ago), avatars/b.webp (written 0.8 s ago)',
    );
  });

  it('prints one table with the requests by status, the uploads by kind and every verdict', () => {
    // Ten minutes, so every verdict (RSS included) is judged.
    const results = { ...passingResults(), minutes: 10 };
    const table = formatSoakTable(results, judgeSoak(results));
    expect(table).toMatch(/^ {2}500 +1 +0$/m);
    expect(table).toMatch(/^ {2}video-direct +1 +1 +0 +0 +0$/m);
    expect(table).toContain('app RSS (medians over 60 s): 300 MiB after a 180 s warm-up, 320 MiB at the end (+6.7 %)');
    expect(table.match(/^ {2}PASS/gm)).toHaveLength(judgeSoak(results).length);
  });

  it('reads image URLs from src and srcset, and fallback and resync counts from JSON log lines', () => {
    expect(
      imageUrlsIn(
        '<img src="/a.webp" srcset="/a.webp 64w, http://s3/b/a-2.webp?x=1&amp;y=2 128w" alt=""><img src="data:image/png;base64,AA">',
      ),
    ).toEqual(['/a.webp', '/a.webp', 'http://s3/b/a-2.webp?x=1&y=2']);
    const counts = countLogLines([
      JSON.stringify({ level: 30, msg: 'Upload stored', location: 'db' }),
      JSON.stringify({ level: 30, msg: 'Upload stored', location: 's3' }),
      JSON.stringify({ level: 30, msg: 'Resync: 2 moved', resync: { moved: 2, failed: 1 } }),
      JSON.stringify({ level: 50, msg: 'Request failed' }),
      'not json',
    ]);
    expect(counts).toMatchObject({ fallbacks: 1, resyncMoved: 2, resyncFailed: 1, storedIn: { db: 1, s3: 1 } });
    expect(counts.errors).toHaveLength(1);
  });
});
