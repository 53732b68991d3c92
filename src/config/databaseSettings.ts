/**
 * NODE_ENV and the database choice, checked before anything starts: a misspelt NODE_ENV
 * (`prod`) would otherwise quietly mean development, and production on the embedded database
 * would keep every account on a disk that Render throws away at the next deploy.
 */
import type { EnvReaders } from './envReaders.ts';

export type AppEnv = 'development' | 'production' | 'test';
const APP_ENVS: readonly AppEnv[] = ['development', 'production', 'test'];

export function readAppEnv({ read }: EnvReaders, problems: string[]): AppEnv {
  const raw = read('NODE_ENV');
  if (raw === undefined) return 'development';
  if ((APP_ENVS as readonly string[]).includes(raw)) return raw as AppEnv;
  problems.push(`NODE_ENV must be one of ${APP_ENVS.join(', ')} (got "${raw}"); leave it unset for development`);
  return 'development';
}

/** DATABASE_URL, parsed now so a mangled URL is a config error rather than a connection failure later. */
export function readDatabaseUrl(readers: EnvReaders, appEnv: AppEnv, problems: string[]): string | undefined {
  const raw = readers.read('DATABASE_URL');
  if (raw === undefined) {
    if (appEnv === 'production' && !readers.flag('ALLOW_EMBEDDED_DATABASE', false)) {
      problems.push(
        'DATABASE_URL is required in production: without it the app keeps its accounts in the embedded database under DATA_DIR, and on Render that disk is ephemeral, so every account would vanish at the next deploy or restart. Set DATABASE_URL (render.yaml takes it from the Render database), or set ALLOW_EMBEDDED_DATABASE=true if this disk really is persistent.',
      );
    }
    return undefined;
  }
  const shape = 'a postgres:// or postgresql:// URL such as postgres://user:password@host:5432/name';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(
      `DATABASE_URL must be ${shape} (it does not parse as a URL); leave it unset for the embedded database`,
    );
    return undefined;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    problems.push(
      `DATABASE_URL must be ${shape} (got the scheme "${url.protocol}"); leave it unset for the embedded database`,
    );
    return undefined;
  }
  if (url.hostname === '') {
    problems.push(`DATABASE_URL must name the database server's host (${shape})`);
    return undefined;
  }
  return raw;
}
