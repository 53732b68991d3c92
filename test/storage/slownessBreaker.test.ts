/**
 * What counts as slow for one S3 request (src/storage/requestBudget.ts), and what the circuit
 * breaker does after slowness: a health probe that answers in time lets one trial through
 * instead of closing it (a probe's small request says nothing about an upload's). The adapter
 * is a stand-in: timeouts on demand are a fault a real server cannot be asked for.
 */
import { describe, expect, it } from 'vitest';
import { withCircuitBreaker } from '../../src/storage/circuitBreaker.ts';
import { StorageError, type StorageAdapter } from '../../src/storage/contract.ts';
import { declaredBodyBytes, requestBudgetMs } from '../../src/storage/requestBudget.ts';
import { Readable } from 'node:stream';

const budget = { slowAfterMs: 1_500, minBytesPerSecond: 256 * 1024 };

describe('request budget', () => {
  it('gives S3 the threshold to answer, plus 4 s per MiB of declared body', () => {
    expect(requestBudgetMs(budget, { headers: {}, body: undefined })).toBe(1_500);
    expect(requestBudgetMs(budget, { headers: { 'content-length': '1048576' }, body: Buffer.alloc(1) })).toBe(5_500);
    // An aws-chunked body declares its real length separately from the framed one.
    expect(declaredBodyBytes({ 'Content-Length': '999999', 'x-amz-decoded-content-length': '262144' })).toBe(262_144);
    // A stream of unknown length is allowed a whole part's time.
    expect(requestBudgetMs(budget, { headers: {}, body: Readable.from([]) })).toBe(1_500 + 32_000);
    expect(requestBudgetMs(budget, { headers: { 'content-length': 'lots' }, body: '' })).toBe(1_500);
    // S3 answers a multipart completion once the parts are joined (MinIO's first byte can take 10 s).
    const completion = { method: 'POST', query: { uploadId: 'abc' }, headers: { 'content-length': '0' }, body: '' };
    expect(requestBudgetMs(budget, completion)).toBe(13_500);
    expect(requestBudgetMs(budget, { ...completion, method: 'DELETE' })).toBe(1_500);
  });
});

function flakyAdapter() {
  let failWith: StorageError | undefined;
  let puts = 0;
  const adapter: StorageAdapter = {
    location: 's3',
    async put() {
      puts += 1;
      if (failWith) throw failWith;
      return { checksum: undefined };
    },
    get: async () => Readable.from([]),
    head: async () => undefined,
    async *list() {},
    delete: async () => undefined,
    urlFor: (key) => `https://bucket.example/${key}`,
    isAvailable: async () => true,
    probe: async () => undefined,
  };
  return { adapter, fail: (error: StorageError | undefined) => (failWith = error), puts: () => puts };
}

const put = (breaker: ReturnType<typeof withCircuitBreaker>) =>
  breaker.put('avatars/a.webp', Buffer.from('x'), { contentType: 'image/webp', cacheControl: 'no-cache' });

describe('circuit breaker after slowness', () => {
  it('a probe answering in time moves it to half-open, and only a real call closes it', async () => {
    const s3 = flakyAdapter();
    const breaker = withCircuitBreaker(s3.adapter, { cooldownMs: 60_000 });
    s3.fail(new StorageError('Timeout', 'S3 upload of avatars/a.webp failed: Timeout (TimeoutError)'));
    await expect(put(breaker)).rejects.toThrow('Timeout');
    expect(breaker.breakerStatus().state).toBe('open');
    // Open: uploads skip S3 altogether.
    await expect(put(breaker)).rejects.toThrow('circuit breaker is open');
    expect(s3.puts()).toBe(1);

    expect(await breaker.probe!()).toBeUndefined();
    expect(breaker.breakerStatus().state).toBe('half-open');
    // The next real call is the trial; still slow, it opens the breaker again.
    await expect(put(breaker)).rejects.toThrow('Timeout');
    expect(breaker.breakerStatus().state).toBe('open');
    expect(await breaker.isAvailable()).toBe(true);
    expect(breaker.breakerStatus().state).toBe('half-open');
    s3.fail(undefined);
    await put(breaker);
    expect(breaker.breakerStatus().state).toBe('closed');
    expect(s3.puts()).toBe(3);
  });

  it('after an outage that is not slowness, a probe that answers still closes it at once', async () => {
    const s3 = flakyAdapter();
    const breaker = withCircuitBreaker(s3.adapter, { cooldownMs: 60_000 });
    s3.fail(new StorageError('Unreachable', 'S3 upload failed: Unreachable (ECONNREFUSED)'));
    await expect(put(breaker)).rejects.toThrow('Unreachable');
    expect(breaker.breakerStatus().state).toBe('open');
    expect(await breaker.probe!()).toBeUndefined();
    expect(breaker.breakerStatus().state).toBe('closed');
  });
});
