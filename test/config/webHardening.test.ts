/** HEALTHZ_TOKEN, SIGNUPS_PER_IP_PER_HOUR, the request timeouts and the lingering-close bounds, read by loadConfig. */
import { describe, expect, it } from 'vitest';
import { type ConfigError, describeConfig, loadConfig } from '../../src/config.ts';

const load = (env: Record<string, string>) => loadConfig(env, '/srv/app');

describe('web hardening settings', () => {
  it('defaults fit the largest default video over a slow phone but bound a quiet connection', () => {
    const config = load({});
    expect(config).toMatchObject({
      healthzToken: undefined,
      signupsPerIpPerHour: 10,
      requestTimeoutMs: 3_600_000,
      headersTimeoutMs: 30_000,
      keepAliveTimeoutMs: 65_000,
      requestIdleTimeoutMs: 60_000,
      refusedBodyLingerMs: 30_000,
      refusedBodyLingerBytes: undefined,
    });
    // The default largest video (500 MB) sent through the form at 1.2 Mbit/s takes about 3495 s.
    expect(config.maxVideoBytes).toBe(500 * 1024 * 1024);
    expect(config.requestTimeoutMs).toBeGreaterThan(((config.maxVideoBytes * 8) / 1_200_000) * 1000);
  });

  it('reads every variable', () => {
    const config = load({
      HEALTHZ_TOKEN: 'a-long-enough-health-token',
      SIGNUPS_PER_IP_PER_HOUR: '3',
      REQUEST_TIMEOUT_SECONDS: '600',
      HEADERS_TIMEOUT_SECONDS: '10',
      KEEP_ALIVE_TIMEOUT_SECONDS: '70',
      REQUEST_IDLE_TIMEOUT_SECONDS: '20',
      REFUSED_BODY_LINGER_SECONDS: '5',
      REFUSED_BODY_LINGER_MB: '64',
    });
    expect(config).toMatchObject({
      healthzToken: 'a-long-enough-health-token',
      signupsPerIpPerHour: 3,
      requestTimeoutMs: 600_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 70_000,
      requestIdleTimeoutMs: 20_000,
      refusedBodyLingerMs: 5_000,
      refusedBodyLingerBytes: 64 * 1024 * 1024,
    });
    expect(JSON.stringify(describeConfig(config))).not.toContain('a-long-enough-health-token');
  });

  it('reports a short token, a request timeout under the header timeout and bad numbers, by name, at once', () => {
    let problems: string[] = [];
    try {
      load({
        HEALTHZ_TOKEN: 'short',
        REQUEST_TIMEOUT_SECONDS: '5',
        HEADERS_TIMEOUT_SECONDS: '10',
        SIGNUPS_PER_IP_PER_HOUR: '0',
        REQUEST_IDLE_TIMEOUT_SECONDS: 'soon',
      });
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toHaveLength(4);
    for (const name of [
      'HEALTHZ_TOKEN',
      'REQUEST_TIMEOUT_SECONDS must be at least',
      'SIGNUPS_PER_IP_PER_HOUR',
      'REQUEST_IDLE_TIMEOUT_SECONDS',
    ])
      expect(problems.some((problem) => problem.startsWith(name))).toBe(true);
  });
});
