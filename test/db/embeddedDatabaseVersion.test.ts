/**
 * Embedded database files of another PostgreSQL major version are refused with a sentence, not
 * PGlite's "failed to initialize properly"; and the version we expect is the one PGlite runs.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_POSTGRES_MAJOR } from '../../src/db/createEmbeddedDatabase.ts';
import { openDatabase } from '../../src/db/database.ts';

describe('embedded database version', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'videovote-pgversion-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('expects the PostgreSQL major version the installed PGlite runs', async () => {
    const client = new PGlite();
    try {
      const { rows } = await client.query<{ server_version_num: string }>('show server_version_num');
      expect(String(Math.floor(Number(rows[0]?.server_version_num) / 10_000))).toBe(EMBEDDED_POSTGRES_MAJOR);
    } finally {
      await client.close();
    }
  });

  it('refuses files made by PostgreSQL 17 (PGlite 0.4) with a sentence, and releases the lock', async () => {
    await mkdir(path.join(dataDir, 'pglite'), { recursive: true });
    await writeFile(path.join(dataDir, 'pglite', 'PG_VERSION'), '17\n');
    const open = () => openDatabase({ databaseUrl: undefined, dataDir });
    await expect(open()).rejects.toThrow(
      `was made by PostgreSQL 17, and this version of VideoVote runs PostgreSQL ${EMBEDDED_POSTGRES_MAJOR}`,
    );
    // Refused again for the same reason, not because the first attempt kept the lock.
    await expect(open()).rejects.toThrow('was made by PostgreSQL 17');
  });
});
