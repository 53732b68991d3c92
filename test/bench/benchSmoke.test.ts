/**
 * `npm run bench` on tiny sizes: every benchmark starts its servers, runs each side, and
 * prints its rows in the one table — so the benchmark cannot rot between the runs that
 * measure. The figures themselves mean nothing at these sizes and are not checked.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const PROJECT_DIR = path.resolve(import.meta.dirname, '..', '..');

describe('npm run bench --tiny', () => {
  it('runs every benchmark and prints their ratios in one table', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['bench/run.ts', '--tiny'], {
      cwd: PROJECT_DIR,
      env: { ...process.env, BENCH_DATABASE_URL: '' },
      timeout: 280_000,
      maxBuffer: 4 * 1024 * 1024,
    });
    const sections = [
      'image-heavy page',
      'video pass-through',
      'avatar uploads under load',
      'fallback latency',
      'ranking at scale',
      'two web instances',
    ];
    for (const section of sections) expect(stdout).toContain(`\n${section} (`);
    // Without a database server the scale-out benchmark says why it did not run, instead of a figure.
    expect(stdout).toContain('\ntwo web instances (not run: set BENCH_DATABASE_URL=');
    const rows = stdout.split('\n').filter((line) => /^ {2}\S/.test(line));
    expect(rows.map((row) => row.trim().split(/\s{2,}/)[0])).toEqual([
      'requests/s: app / template from precomputed URLs',
      'p99 latency ms: app / template',
      'MiB/s: app / SDK Upload straight to S3',
      'MiB/s: app / multer-s3 through Express',
      'server CPU s per upload: app / multer-s3',
      'app RSS growth MiB / 64 MiB budget',
      'S3 fails halfway: upload s / with S3 up',
      'uploads/s at c=2: app / naive port',
      'peak RSS at c=2: app / naive port',
      'median upload ms: S3 down / local-only',
      'p99 latency ms: 500 videos / 100 videos',
      'requests/s: 500 videos / 100 videos',
    ]);
    for (const row of rows) {
      const [, ours, baseline, ratio] = row.trim().split(/\s{2,}/);
      // Memory growth and CPU seconds on tiny inputs may round to zero; nothing may be missing or negative.
      for (const figure of [ours!, baseline!, ratio!]) expect(Number.parseFloat(figure), row).toBeGreaterThanOrEqual(0);
    }
  }, 300_000);

  // Two instances can share a database only on a server; CI always provides one.
  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'on PostgreSQL, measures the home page on two web instances against one (needs TEST_DATABASE_URL)',
    async () => {
      const { stdout } = await promisify(execFile)(process.execPath, ['bench/run.ts', '--tiny', '--only', 'scaleout'], {
        cwd: PROJECT_DIR,
        env: { ...process.env, BENCH_DATABASE_URL: process.env.TEST_DATABASE_URL },
        timeout: 200_000,
        maxBuffer: 4 * 1024 * 1024,
      });
      expect(stdout).toContain('\ntwo web instances (GET / with 6 cards on PostgreSQL');
      const rows = stdout.split('\n').filter((line) => /^ {2}\S/.test(line));
      expect(rows.map((row) => row.trim().split(/\s{2,}/)[0])).toEqual([
        'requests/s: 2 instances summed / 1 instance',
        'app CPU s per 1,000 requests: 2 instances / 1 instance',
        'p99 latency ms: 2 instances (worse one) / 1 instance',
      ]);
      for (const row of rows) {
        const [, ours, baseline, ratio] = row.trim().split(/\s{2,}/);
        for (const figure of [ours!, baseline!, ratio!]) expect(Number.parseFloat(figure), row).toBeGreaterThan(0);
      }
    },
    220_000,
  );
});
