/**
 * The embedded database takes a lock on its directory: real processes, one directory. A second
 * opener is refused with a sentence naming the holder; after the holder exits (cleanly or
 * killed) the next opener gets the database, with the first writer's rows intact.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/database.ts';

const HOLDER = path.join(import.meta.dirname, 'fixtures', 'holdEmbeddedDatabase.ts');
const OPEN_TIMEOUT_MS = 90_000;

interface Opener {
  child: ChildProcess;
  /** Resolves with 'ready', or with the exit code and stderr when the open failed. */
  outcome: Promise<{ ready: true } | { ready: false; code: number | null; stderr: string }>;
}

function startOpener(dataDir: string, rows = 0): Opener {
  const child = spawn(process.execPath, [HOLDER, dataDir, String(rows)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk));
  const outcome = new Promise<{ ready: true } | { ready: false; code: number | null; stderr: string }>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve({ ready: true });
    });
    child.once('exit', (code) => resolve({ ready: false, code, stderr }));
  });
  return { child, outcome };
}

async function stop(opener: Opener, signal: NodeJS.Signals): Promise<number | null> {
  if (opener.child.exitCode !== null) return opener.child.exitCode;
  const exited = new Promise<number | null>((resolve) => opener.child.once('exit', (code) => resolve(code)));
  opener.child.kill(signal);
  return exited;
}

describe('embedded database directory lock', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'videovote-lock-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it(
    'refuses a second process with a sentence naming the holder, and opens again once it exits',
    async () => {
      const first = startOpener(dataDir, 300);
      expect(await first.outcome).toEqual({ ready: true });

      const second = startOpener(dataDir, 300);
      const refused = await second.outcome;
      expect(refused.ready).toBe(false);
      if (refused.ready) return;
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`is in use by another process (pid ${first.child.pid}: `);
      expect(refused.stderr).toContain('holdEmbeddedDatabase.ts');

      expect(await stop(first, 'SIGTERM')).toBe(0);
      const third = startOpener(dataDir);
      expect(await third.outcome).toEqual({ ready: true });
      expect(await stop(third, 'SIGTERM')).toBe(0);

      // The refused writer wrote nothing: the first writer's 300 rows are all there.
      const db = await openDatabase({ databaseUrl: undefined, dataDir });
      try {
        const { rows } = await sql<{ writer: number; count: string }>`
          select writer, count(*) as count from lock_probe group by writer`.execute(db);
        expect(rows.map((row) => ({ writer: row.writer, count: Number(row.count) }))).toEqual([
          { writer: first.child.pid, count: 300 },
        ]);
      } finally {
        await db.destroy();
      }
    },
    OPEN_TIMEOUT_MS * 3,
  );

  it(
    'takes over the lock of a process that was killed without closing',
    async () => {
      const killed = startOpener(dataDir);
      expect(await killed.outcome).toEqual({ ready: true });
      expect(await stop(killed, 'SIGKILL')).toBeNull();

      const next = startOpener(dataDir);
      expect(await next.outcome).toEqual({ ready: true });
      expect(await stop(next, 'SIGTERM')).toBe(0);
    },
    OPEN_TIMEOUT_MS * 2,
  );

  it(
    'refuses a second open in the same process while the first is open',
    async () => {
      const db = await openDatabase({ databaseUrl: undefined, dataDir });
      try {
        await expect(openDatabase({ databaseUrl: undefined, dataDir })).rejects.toThrow(
          `is already open in this process (pid ${process.pid})`,
        );
      } finally {
        await db.destroy();
      }
      const reopened = await openDatabase({ databaseUrl: undefined, dataDir });
      await reopened.destroy();
    },
    OPEN_TIMEOUT_MS,
  );
});
