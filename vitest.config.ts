import { defineConfig } from 'vitest/config';

/**
 * Tests that need no server of any kind: no S3 (MinIO or s3rver), no PostgreSQL, no embedded
 * database, no browser, no child process. They run in seconds (`npm run test:unit`) and skip
 * the global setup that starts the shared S3 server. A test belongs here only if it passes on
 * a machine with nothing but Node.
 */
const UNIT_TESTS = [
  'test/architecture/**/*.test.ts',
  'test/cli/parseCliArgs.test.ts',
  'test/config/**/*.test.ts',
  'test/db/explainConnectionError.test.ts',
  'test/docs/**/*.test.ts',
  'test/images/processImage.test.ts',
  'test/logs/prettyLogs.test.ts',
  'test/storage/imageUrls.test.ts',
  'test/storage/localAdapter.test.ts',
  'test/views/**/*.test.ts',
];

/** `npm run bench --tiny` end to end: minutes on a busy two-core machine, so `npm run test:bench` runs it apart. */
const BENCH_TESTS = ['test/bench/**/*.test.ts'];

const shared = {
  testTimeout: 30_000,
  // Starting MinIO or creating a database in beforeAll can take several seconds on CI.
  hookTimeout: 60_000,
  // Child processes (not threads) so native modules and servers started by tests stay isolated.
  pool: 'forks',
} as const;

export default defineConfig({
  test: {
    // The CI machine has two cores.
    maxWorkers: 2,
    // CI lists every test by name, so its log shows which ran against MinIO, PGlite and PostgreSQL.
    reporters: [process.env.CI ? 'verbose' : 'default', './test/support/summaryReporter.ts'],
    projects: [
      { test: { ...shared, name: 'unit', include: UNIT_TESTS } },
      {
        test: {
          ...shared,
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...UNIT_TESTS, ...BENCH_TESTS],
          globalSetup: ['test/support/globalSetup.ts'],
        },
      },
      {
        test: {
          ...shared,
          name: 'bench',
          include: BENCH_TESTS,
          // No global setup: bench/run.ts starts its own S3 server and app processes.
        },
      },
    ],
  },
});
