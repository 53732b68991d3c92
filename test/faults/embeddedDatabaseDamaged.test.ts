/**
 * The embedded database (no DATABASE_URL) cannot be opened at start-up: `node src/server.ts`
 * prints one sentence that says what to do and exits 1 — no stack trace, no PGlite "failed to
 * initialize properly" or WebAssembly "Aborted()" alone. On copies of a real data directory
 * made by PGlite's initdb: one with its control file overwritten, one with its catalog files
 * cut short; and a DATA_DIR that is a file, not a directory.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedDatabase } from '../../src/db/createEmbeddedDatabase.ts';
import { freePort } from '../support/network.ts';

const PROJECT_DIR = path.resolve(import.meta.dirname, '..', '..');

async function startServer(dataDir: string): Promise<{ code: number; lines: string[] }> {
  const result = await promisify(execFile)(process.execPath, ['src/server.ts'], {
    cwd: PROJECT_DIR,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DOTENV_CONFIG_PATH: '/nonexistent/.env',
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    },
    timeout: 90_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === 'number' ? error.code : -1,
      output: (error.stdout ?? '') + (error.stderr ?? ''),
    }),
  );
  return { code: result.code, lines: result.output.trim().split('\n') };
}

describe('an embedded database that cannot be opened at start-up', () => {
  let workDir: string;
  let pristine: string;

  beforeAll(async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-damaged-'));
    pristine = path.join(workDir, 'pristine');
    await fs.mkdir(path.join(pristine, 'pglite'), { recursive: true });
    await createEmbeddedDatabase(path.join(pristine, 'pglite'));
  }, 120_000);
  afterAll(() => fs.rm(workDir, { recursive: true, force: true }));

  async function damagedCopy(name: string, damage: (pgliteDir: string) => Promise<void>): Promise<string> {
    const copy = path.join(workDir, name);
    await fs.cp(pristine, copy, { recursive: true });
    await damage(path.join(copy, 'pglite'));
    return copy;
  }

  function expectDamagedSentence(result: { code: number; lines: string[] }, dataDir: string) {
    expect(result.code).toBe(1);
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]).toMatch(
      new RegExp(
        `^The embedded database in ${path.join(dataDir, 'pglite')} cannot be opened \\(.+\\): its files look damaged`,
      ),
    );
    expect(result.lines[0]).toContain('move');
    expect(result.lines[0]).toContain('or restore it from a backup');
  }

  it('a control file overwritten with noise', async () => {
    const dataDir = await damagedCopy('noisy-control', (dir) =>
      fs.writeFile(path.join(dir, 'global', 'pg_control'), randomBytes(8192)),
    );
    expectDamagedSentence(await startServer(dataDir), dataDir);
  }, 100_000);

  it('catalog files cut short', async () => {
    const dataDir = await damagedCopy('truncated-catalog', async (dir) => {
      const entries = await fs.readdir(path.join(dir, 'base'), { recursive: true, withFileTypes: true });
      for (const entry of entries.filter((e) => e.isFile())) {
        const file = path.join(entry.parentPath, entry.name);
        if ((await fs.stat(file)).size > 8192) await fs.truncate(file, 4000);
      }
    });
    expectDamagedSentence(await startServer(dataDir), dataDir);
  }, 100_000);

  it('DATA_DIR is a file, not a directory', async () => {
    const dataDir = path.join(workDir, 'not-a-directory');
    await fs.writeFile(dataDir, 'oops');
    const result = await startServer(dataDir);
    expect(result.code).toBe(1);
    expect(result.lines).toEqual([
      expect.stringMatching(
        /^The embedded database directory .+not-a-directory\/pglite cannot be created or opened \(.+\)\. Check that DATA_DIR names a directory this user can write, on a disk with free space\.$/,
      ),
    ]);
  }, 100_000);
});
