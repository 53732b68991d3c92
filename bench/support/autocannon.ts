/**
 * Page load from autocannon in its own process (its CPU is not the app's): requests per second
 * and latency percentiles for one URL, over a fixed time. A run with any error or non-2xx
 * answer is refused, so a broken page can never look fast.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const AUTOCANNON = path.resolve(import.meta.dirname, '..', '..', 'node_modules', 'autocannon', 'autocannon.js');

export interface PageLoad {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
}

export async function loadPage(url: string, options: { connections: number; seconds: number }): Promise<PageLoad> {
  const args = [
    AUTOCANNON,
    '--json',
    '-c',
    String(options.connections),
    '-d',
    String(options.seconds),
    '-H',
    'x-forwarded-proto=https',
    url,
  ];
  const { stdout } = await promisify(execFile)(process.execPath, args, {
    maxBuffer: 16 * 1024 * 1024,
    timeout: (options.seconds + 60) * 1000,
  });
  const result = JSON.parse(stdout) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    errors: number;
    timeouts: number;
    non2xx: number;
  };
  if (result.errors + result.timeouts + result.non2xx > 0) {
    throw new Error(
      `autocannon ${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`,
    );
  }
  if (result.requests.total === 0) throw new Error(`autocannon ${url}: no request completed`);
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
  };
}
