/**
 * Typed readers over an environment, each recording a problem by variable name instead of
 * throwing, so loadConfig can report every mistake at once. They never touch process.env:
 * config.ts hands them the environment.
 */
export type Env = Record<string, string | undefined>;

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off', '']);

export interface EnvReaders {
  read(name: string): string | undefined;
  flag(name: string, fallback: boolean): boolean;
  positiveInt(name: string, fallback: number, max?: number): number;
  httpUrl(name: string, requireHttps: boolean): string | undefined;
}

export function createEnvReaders(env: Env, problems: string[]): EnvReaders {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };

  const flag = (name: string, fallback: boolean): boolean => {
    const raw = read(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (TRUE_WORDS.has(raw)) return true;
    if (FALSE_WORDS.has(raw)) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };

  const positiveInt = (name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0 || value > max) {
      problems.push(`${name} must be a whole number between 1 and ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };

  const httpUrl = (name: string, requireHttps: boolean): string | undefined => {
    const raw = read(name);
    if (raw === undefined) return undefined;
    try {
      const url = new URL(raw);
      const allowed = requireHttps ? ['https:'] : ['https:', 'http:'];
      if (!allowed.includes(url.protocol)) {
        problems.push(`${name} must start with ${allowed.join(' or ')}// (got "${raw}")`);
        return undefined;
      }
      return raw.replace(/\/+$/, '');
    } catch {
      problems.push(`${name} must be a full URL such as https://example.com (got "${raw}")`);
      return undefined;
    }
  };

  return { read, flag, positiveInt, httpUrl };
}
