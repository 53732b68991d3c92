/**
 * The life of one benchmark process: cleanup steps registered as things start, run last-in
 * first-out exactly once — after the measurement, on failure, or on Ctrl-C — so no app,
 * S3 server or temp folder outlives a run.
 */
import { log } from './log.ts';

export interface BenchRun {
  defer(step: () => Promise<unknown>): void;
  /** Runs `main`, reports a failure as the exit code, and always cleans up. */
  run(main: () => Promise<void>): Promise<void>;
}

export function createBenchRun(closeSockets: () => void): BenchRun {
  const cleanups: Array<() => Promise<unknown>> = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = (): Promise<void> => {
    cleaning ??= (async () => {
      closeSockets();
      while (cleanups.length > 0) {
        await cleanups.pop()!().catch((error: unknown) => log(`cleanup failed: ${String(error)}`));
      }
    })();
    return cleaning;
  };
  return {
    defer: (step) => void cleanups.push(step),
    async run(main) {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.once(signal, () => {
          log(`${signal}: stopping the app and the S3 server`);
          void cleanUp().finally(() => process.exit(130));
        });
      }
      try {
        await main();
      } catch (error) {
        process.exitCode = 1;
        log(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        await cleanUp();
      }
    },
  };
}

/** `--name N` / `--name=N` flags, each a whole number from 1 to 1000, over defaults. */
export function parseWholeNumberFlags<T extends Record<string, number>>(
  argv: string[],
  flags: Record<string, keyof T>,
  defaults: T,
): T {
  const options = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const key = flags[flag];
    if (!key)
      throw new Error(`Unknown option ${flag}. Options: ${Object.keys(flags).join(', ')} (each takes a whole number).`);
    const raw = inline ?? argv[++i];
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > 1000)
      throw new Error(`${flag} needs a whole number between 1 and 1000 (got "${raw}")`);
    (options as Record<string, number>)[key as string] = value;
  }
  return options;
}
