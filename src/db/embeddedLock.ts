/**
 * One process at a time on an embedded database directory. PGlite is PostgreSQL in single-user
 * mode inside this process: a second process on the same files does not wait, it writes over
 * the first one's pages (two writers committing 300 rows each kept 300 and 75, and a later
 * open hung). So the directory gets a lock file beside it, naming the process that holds it.
 *
 * The lock is created complete and atomically: written to a private file, then hard-linked to
 * its name, which fails if the name exists — a reader never sees a half-written lock. A lock
 * whose process is gone (a crash, a SIGKILL, a container restarted on the same disk) is taken
 * over. Released on close and, synchronously, when the process exits.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import fs from 'node:fs/promises';

/** Thrown when another live process holds the directory; the message is the sentence to print. */
export class EmbeddedDatabaseLockedError extends Error {
  readonly holderPid: number;

  constructor(message: string, holderPid: number) {
    super(message);
    this.name = 'EmbeddedDatabaseLockedError';
    this.holderPid = holderPid;
  }
}

export interface DirectoryLock {
  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): void;
}

interface LockContent {
  pid: number;
  command: string;
  token: string;
}

/** Lock files this process holds: a pid equal to ours is ours only if it is listed here. */
const heldHere = new Set<string>();

/**
 * Takes the lock for `databaseDir` (the file `<databaseDir>.lock`).
 * Throws EmbeddedDatabaseLockedError when a live process holds it; other I/O errors as they come.
 */
export async function lockDatabaseDirectory(databaseDir: string): Promise<DirectoryLock> {
  const lockPath = `${databaseDir}.lock`;
  const content: LockContent = {
    pid: process.pid,
    command: commandOf(process.pid) ?? process.argv.join(' '),
    token: `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
  };
  const privatePath = `${lockPath}.${content.token}`;
  await fs.writeFile(privatePath, JSON.stringify(content), { flag: 'wx' });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await linkExclusively(privatePath, lockPath)) return holdLock(lockPath, content.token);
      const holder = await readLock(lockPath);
      if (holder && isAlive(holder, lockPath)) {
        throw new EmbeddedDatabaseLockedError(lockedSentence(databaseDir, holder), holder.pid);
      }
      await removeStaleLock(lockPath, holder);
    }
    throw new Error(`Could not take the lock ${lockPath}: it kept reappearing`);
  } finally {
    await fs.rm(privatePath, { force: true });
  }
}

function lockedSentence(databaseDir: string, holder: LockContent): string {
  if (holder.pid === process.pid) {
    return `The embedded database in ${databaseDir} is already open in this process (pid ${holder.pid}); close it before opening it again.`;
  }
  const command = holder.command ? `: ${holder.command}` : '';
  return (
    `The embedded database in ${databaseDir} is in use by another process (pid ${holder.pid}${command}). ` +
    'Stop that process first, or give this one its own DATA_DIR.'
  );
}

function holdLock(lockPath: string, token: string): DirectoryLock {
  heldHere.add(lockPath);
  const release = () => {
    process.off('exit', release);
    if (!heldHere.delete(lockPath)) return;
    try {
      const current = JSON.parse(readFileSync(lockPath, 'utf8')) as LockContent;
      if (current.token === token) unlinkSync(lockPath);
    } catch {
      // Already gone, or replaced by someone who took it over: not ours to remove.
    }
  };
  process.on('exit', release);
  return { release };
}

async function linkExclusively(from: string, to: string): Promise<boolean> {
  try {
    await fs.link(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** The lock's content; undefined when it vanished meanwhile or is not ours to understand. */
async function readLock(lockPath: string): Promise<LockContent | undefined> {
  try {
    const parsed = JSON.parse(await fs.readFile(lockPath, 'utf8')) as Partial<LockContent>;
    if (typeof parsed.pid !== 'number' || typeof parsed.token !== 'string') return undefined;
    return { pid: parsed.pid, command: parsed.command ?? '', token: parsed.token };
  } catch {
    return undefined;
  }
}

function isAlive(holder: LockContent, lockPath: string): boolean {
  // A pid equal to ours in a lock we do not hold: a previous life of a container on this disk.
  if (holder.pid === process.pid) return heldHere.has(lockPath);
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // The pid is taken; if it now runs another program, the holder is gone and the pid reused.
  const command = commandOf(holder.pid);
  return command === undefined || holder.command === '' || command === holder.command;
}

/**
 * Removes a lock whose holder is gone. Renamed aside first and checked: if another opener took
 * the name over between our read and the rename, its live lock is put back.
 */
async function removeStaleLock(lockPath: string, stale: LockContent | undefined): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${Date.now()}`;
  try {
    await fs.rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readLock(aside);
  if (moved && stale && moved.token !== stale.token) await linkExclusively(aside, lockPath);
  await fs.rm(aside, { force: true });
}

/** The command line of a process (Linux /proc), or undefined where it cannot be read. */
function commandOf(pid: number): string | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter(Boolean).join(' ') || undefined;
  } catch {
    return undefined;
  }
}
