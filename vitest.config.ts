import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 30_000,
    // Starting MinIO or creating a database in beforeAll can take several seconds on CI.
    hookTimeout: 60_000,
    // Child processes (not threads) so native modules and servers started by tests stay isolated.
    pool: 'forks',
    // The CI machine has two cores.
    maxWorkers: 2,
    // CI lists every test by name, so its log shows which ran against MinIO, PGlite and PostgreSQL.
    reporters: [process.env.CI ? 'verbose' : 'default', './test/support/summaryReporter.ts'],
  },
});
