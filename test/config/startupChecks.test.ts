/**
 * Operator mistakes caught before anything starts, each named by its variable: a misspelt
 * NODE_ENV, production on the embedded database, a DATABASE_URL that is not a PostgreSQL URL.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const PRODUCTION = { NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40) };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/app');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('start-up checks', () => {
  it('accepts only development, production and test as NODE_ENV', () => {
    expect(problemsOf({ NODE_ENV: 'prod' })).toEqual([
      'NODE_ENV must be one of development, production, test (got "prod"); leave it unset for development',
    ]);
    expect(problemsOf({ NODE_ENV: 'Production' })[0]).toContain('NODE_ENV');
    for (const env of ['development', 'test']) expect(loadConfig({ NODE_ENV: env }).env).toBe(env);
    expect(loadConfig({}).env).toBe('development');
  });

  it('refuses production without DATABASE_URL, saying why, unless ALLOW_EMBEDDED_DATABASE=true', () => {
    const [problem, ...others] = problemsOf(PRODUCTION);
    expect(others).toEqual([]);
    expect(problem).toMatch(/^DATABASE_URL is required in production/);
    expect(problem).toContain('ephemeral');
    expect(problem).toContain('ALLOW_EMBEDDED_DATABASE=true');
    expect(loadConfig({ ...PRODUCTION, ALLOW_EMBEDDED_DATABASE: 'true' }).databaseUrl).toBeUndefined();
    expect(problemsOf({ ...PRODUCTION, ALLOW_EMBEDDED_DATABASE: 'false' })[0]).toMatch(/^DATABASE_URL is required/);
    expect(problemsOf({ ...PRODUCTION, ALLOW_EMBEDDED_DATABASE: 'perhaps' })).toContain(
      'ALLOW_EMBEDDED_DATABASE must be true or false (got "perhaps")',
    );
    // Development keeps running on the embedded database with nothing set.
    expect(loadConfig({ NODE_ENV: 'development' }).databaseUrl).toBeUndefined();
    expect(
      loadConfig({ ...PRODUCTION, DATABASE_URL: 'postgres://vv:secret@db.internal:5432/videovote' }).databaseUrl,
    ).toBe('postgres://vv:secret@db.internal:5432/videovote');
  });

  it('parses DATABASE_URL as a URL with a postgres scheme and a host', () => {
    expect(loadConfig({ DATABASE_URL: 'postgresql://db.example.com/videovote' }).databaseUrl).toBe(
      'postgresql://db.example.com/videovote',
    );
    const wrongScheme = problemsOf({ DATABASE_URL: 'mysql://db.example.com/videovote' });
    expect(wrongScheme).toHaveLength(1);
    expect(wrongScheme[0]).toContain('got the scheme "mysql:"');
    const unparsable = problemsOf({ DATABASE_URL: 'postgres://user:pa ss@' });
    expect(unparsable).toHaveLength(1);
    expect(unparsable[0]).toMatch(/^DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(problemsOf({ DATABASE_URL: 'db.example.com:5432' })[0]).toMatch(/^DATABASE_URL must be/);
    expect(problemsOf({ DATABASE_URL: 'postgres:///videovote' })).toEqual([
      "DATABASE_URL must name the database server's host (a postgres:// or postgresql:// URL such as postgres://user:password@host:5432/name)",
    ]);
  });
});
