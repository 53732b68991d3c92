/**
 * How the long-running processes (server.ts, worker.ts) read their configuration: every
 * problem printed by variable name, then exit 1 — a process that cannot be configured
 * must not half start.
 */
import { ConfigError, loadConfig, type AppConfig } from './config.ts';

export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
