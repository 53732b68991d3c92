/**
 * What every operator command shares: configuration read once with every problem listed by
 * variable name, the database open for exactly the command's duration, and one exit code.
 */
import 'dotenv/config';
import { ConfigError, loadConfig, type AppConfig } from '../config.ts';
import { openDatabase, type AppDatabase } from '../db/database.ts';
import { explainConnectionError } from '../db/explainConnectionError.ts';
import { EmbeddedDatabaseLockedError } from '../db/embeddedLock.ts';
import { lockedDatabaseSentence } from './lockedDatabaseSentence.ts';

/** The command runCommand is running, for sentences that name it. */
let runningCommand = 'this command';

/** A refusal whose message is the whole sentence to print (runCommand adds no prefix). */
class CommandRefusal extends Error {}

/** The configuration, or undefined after printing what is wrong with it. */
export function loadConfigOrReport(): AppConfig | undefined {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return undefined;
  }
}

/** Work to finish while the database is still open (e.g. recording the command's S3 requests). */
const closingHooks = new WeakMap<AppDatabase, Array<() => Promise<void>>>();

export function beforeClosing(db: AppDatabase, hook: () => Promise<void>): void {
  closingHooks.set(db, [...(closingHooks.get(db) ?? []), hook]);
}

export async function withDatabase<T>(config: AppConfig, work: (db: AppDatabase) => Promise<T>): Promise<T> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }).catch(
    (error: unknown) => {
      if (error instanceof EmbeddedDatabaseLockedError)
        throw new CommandRefusal(lockedDatabaseSentence(runningCommand, config.dataDir, error.holderPid));
      const sentence = config.databaseUrl && explainConnectionError(error, config.databaseUrl);
      throw sentence ? new Error(sentence, { cause: error }) : error;
    },
  );
  try {
    return await work(db);
  } finally {
    for (const hook of closingHooks.get(db) ?? []) await hook();
    await db.destroy();
  }
}

/** Runs `main` and exits with its code; an unexpected error prints one line and exits 1. */
export function runCommand(name: string, main: () => Promise<number>): void {
  runningCommand = name;
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof CommandRefusal) {
        console.error(error.message);
        process.exit(1);
      }
      console.error(`${name} failed:`, error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
