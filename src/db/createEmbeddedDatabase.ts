/**
 * Creates an embedded database directory (PostgreSQL's initdb) in a short-lived child process.
 * PGlite runs initdb in a second WebAssembly instance of PostgreSQL beside the one it keeps;
 * in-process, that instance's memory stayed resident after it closed (first start 581 MiB,
 * every later start 208 MiB, bench/idleMemory.ts). A child that exits returns all of it.
 *
 * Run directly (`node createEmbeddedDatabase.ts <dir>`), it is that child.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { compileWebAssemblyWithoutTierUp, leanPGliteOptions } from './pgliteTuning.ts';
import { EmbeddedDatabaseUnusableError } from './embeddedDatabaseUnusable.ts';

/**
 * The PostgreSQL major version the installed PGlite runs (PGlite 0.5: PostgreSQL 18; 0.4 ran 17).
 * test/db/embeddedDatabaseVersion.test.ts fails when an upgrade changes it, so this stays true.
 */
export const EMBEDDED_POSTGRES_MAJOR = '18';

/**
 * True once initdb has run in `dir` (PostgreSQL writes PG_VERSION last). Throws a sentence when
 * the files belong to another PostgreSQL major version: PostgreSQL cannot open them, and PGlite
 * would only say "PGlite failed to initialize properly".
 */
export function embeddedDatabaseExists(dir: string): boolean {
  const versionFile = path.join(dir, 'PG_VERSION');
  if (!existsSync(versionFile)) return false;
  const major = readFileSync(versionFile, 'utf8').trim();
  if (major !== EMBEDDED_POSTGRES_MAJOR) {
    throw new EmbeddedDatabaseUnusableError(
      `The embedded database in ${dir} was made by PostgreSQL ${major}, and this version of VideoVote runs ` +
        `PostgreSQL ${EMBEDDED_POSTGRES_MAJOR}, which cannot open it. Move that directory aside to start with an ` +
        `empty database; the version of VideoVote that made it (PostgreSQL ${major}) can still open it.`,
    );
  }
  return true;
}

/** Runs initdb for `dir` in a child process. Throws with the child's output when it fails. */
export async function createEmbeddedDatabase(dir: string): Promise<void> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`Could not create the embedded database in ${dir}: ${stderr.trim()}`);
}

if (import.meta.main) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: node createEmbeddedDatabase.ts <directory>');
  compileWebAssemblyWithoutTierUp();
  const client = new PGlite(dir, leanPGliteOptions());
  await client.waitReady;
  await client.close();
}
