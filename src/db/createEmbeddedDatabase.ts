/**
 * Creates an embedded database directory (PostgreSQL's initdb) in a short-lived child process.
 * PGlite runs initdb in a second WebAssembly instance of PostgreSQL beside the one it keeps;
 * in-process, that instance's memory stayed resident after it closed (first start 581 MiB,
 * every later start 208 MiB, bench/idleMemory.ts). A child that exits returns all of it.
 *
 * Run directly (`node createEmbeddedDatabase.ts <dir>`), it is that child.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { compileWebAssemblyWithoutTierUp, leanPGliteOptions } from './pgliteTuning.ts';

/** True once initdb has run in `dir` (PostgreSQL writes PG_VERSION last). */
export function embeddedDatabaseExists(dir: string): boolean {
  return existsSync(path.join(dir, 'PG_VERSION'));
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
