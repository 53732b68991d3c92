/**
 * The embedded database (PGlite under DATA_DIR) cannot be opened at start-up: its directory
 * cannot be made or read, or its files are damaged (a disk that filled up or a process killed
 * mid-write can leave them so). PGlite says only "PGlite failed to initialize properly" or
 * aborts its WebAssembly ("Aborted()"); this error's message is instead the whole sentence an
 * operator acts on, and server.ts and the CLIs print it alone and exit 1, without a stack.
 */
export class EmbeddedDatabaseUnusableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbeddedDatabaseUnusableError';
  }
}

/** File-system codes that mean the directory itself is the problem (not its contents). */
const DIRECTORY_CODES = new Set(['EACCES', 'EPERM', 'ENOTDIR', 'EROFS', 'EEXIST', 'ENOSPC']);

/** The sentence for a failure to open the embedded database in `dir`. */
export function embeddedDatabaseUnusable(error: unknown, dir: string): EmbeddedDatabaseUnusableError {
  if (error instanceof EmbeddedDatabaseUnusableError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const said = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && DIRECTORY_CODES.has(code))
    return new EmbeddedDatabaseUnusableError(
      `The embedded database directory ${dir} cannot be created or opened (${said}). Check that DATA_DIR names a directory this user can write, on a disk with free space.`,
      { cause: error },
    );
  return new EmbeddedDatabaseUnusableError(
    `The embedded database in ${dir} cannot be opened (${said.split('.')[0]}): its files look damaged, as a full disk or a process killed mid-write can leave them. ` +
      `Stop every VideoVote process using DATA_DIR, then move ${dir} aside (keep it: its data may still be recoverable) or restore it from a backup, and start again — with it moved aside the app starts with an empty database.`,
    { cause: error },
  );
}

/**
 * Whether a failure while migrating an embedded database that did open means damaged files
 * rather than a bug in a migration: PGlite's WebAssembly aborting, or PostgreSQL's data
 * corruption (XX001, XX002) and file-access (58P01, 58030) errors.
 */
export function looksLikeDamagedFiles(error: unknown, seen = new Set<unknown>()): boolean {
  if (typeof error !== 'object' || error === null || seen.has(error)) return false;
  seen.add(error);
  if (error instanceof WebAssembly.RuntimeError) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && ['XX001', 'XX002', '58P01', '58030'].includes(code)) return true;
  return looksLikeDamagedFiles((error as { cause?: unknown }).cause, seen);
}
