/**
 * How the embedded PostgreSQL (PGlite) is started so that it is not the heaviest part of the
 * app. Measured with bench/idleMemory.ts and a PGlite-only probe (figures in the README):
 *
 * - V8 compiles PGlite's 9 MB WebAssembly module with its baseline compiler (Liftoff) and then
 *   recompiles hot functions with its optimizing one (TurboFan) in the background. The second
 *   pass held about 200 MiB of RSS after start-up and, on a busy two-core machine, made 4,000
 *   small queries slower (6.1–7.3 s against 3.4–3.5 s with Liftoff alone), because the
 *   recompilation competes for the same cores. Nothing else in the process runs WebAssembly.
 * - PostgreSQL's defaults are sized for a server: shared_buffers 128MB alone makes the
 *   WebAssembly memory grow past its 128 MiB start. A members-and-votes database fits in a few
 *   megabytes of buffers; the operating system's page cache holds the rest of the files.
 */
import v8 from 'node:v8';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';

const SMALL_SERVER_SETTINGS = {
  shared_buffers: '8MB',
  wal_buffers: '256kB',
  work_mem: '1MB',
  maintenance_work_mem: '8MB',
  temp_buffers: '1MB',
};

/** PGlite's own start parameters (single-user mode, no workers) plus the small-server settings. */
export function leanPGliteOptions(): PGliteOptions {
  const settings = Object.entries(SMALL_SERVER_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  return { startParams: [...PGlite.defaultStartParams, ...settings] };
}

/**
 * Keeps WebAssembly on the baseline compiler. Must run before PGlite compiles its module (its
 * constructor); V8 reads these flags when a module is compiled, and only this file compiles one.
 */
export function compileWebAssemblyWithoutTierUp(): void {
  v8.setFlagsFromString('--no-wasm-tier-up');
  v8.setFlagsFromString('--no-wasm-dynamic-tiering');
}
