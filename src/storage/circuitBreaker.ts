/**
 * Stops uploads from waiting on an S3 that is not answering. One failed operation (after the
 * SDK's own retries) opens the breaker: for the cool-down, calls fail at once and uploads go
 * straight to local disk. Then a single trial call is let through (half-open): success closes
 * the breaker, failure opens it again for twice as long (up to a cap). isAvailable() always
 * runs — it is the health probe — and a successful probe closes the breaker too, except after
 * slowness (Timeout): a small probe answering in time says nothing about whether an upload
 * will, so it only lets the next real call through as the trial (half-open).
 */
import { StorageError, type StorageAdapter, type StorageErrorCode } from './contract.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerFailure {
  code: StorageErrorCode;
  message: string;
  at: Date;
  /** A mistake in the settings (credentials, bucket, permissions, region), not a passing fault. */
  configuration: boolean;
}

export interface BreakerStatus {
  state: BreakerState;
  lastFailure: BreakerFailure | undefined;
  openUntil: Date | undefined;
}

export interface GuardedAdapter extends StorageAdapter {
  breakerStatus(): BreakerStatus;
  /** Runs another S3 call (e.g. a multipart operation) behind the same breaker: skipped while it is open, counted when it fails. */
  guard<T>(call: () => Promise<T>): Promise<T>;
}

export interface BreakerOptions {
  cooldownMs?: number;
  maxCooldownMs?: number;
  now?: () => number;
  onStateChange?: (state: BreakerState, failure: BreakerFailure | undefined) => void;
}

export function withCircuitBreaker(adapter: StorageAdapter, options: BreakerOptions = {}): GuardedAdapter {
  const baseCooldown = options.cooldownMs ?? 15_000;
  const maxCooldown = options.maxCooldownMs ?? 120_000;
  const now = options.now ?? Date.now;
  let state: BreakerState = 'closed';
  let cooldown = baseCooldown;
  let openUntil = 0;
  let trialInFlight = false;
  let lastFailure: BreakerFailure | undefined;

  const moveTo = (next: BreakerState) => {
    if (next === state) return;
    state = next;
    options.onStateChange?.(next, lastFailure);
  };

  const succeeded = () => {
    cooldown = baseCooldown;
    moveTo('closed');
  };

  const probeAnswered = () => {
    if (state === 'closed' || lastFailure?.code !== 'Timeout') return succeeded();
    if (state === 'open') moveTo('half-open');
  };

  const failed = (error: unknown) => {
    const storageError =
      error instanceof StorageError ? error : new StorageError('Unknown', String(error), { cause: error });
    lastFailure = {
      code: storageError.code,
      message: storageError.message,
      at: new Date(now()),
      configuration: storageError.isConfigurationProblem,
    };
    if (state === 'half-open') cooldown = Math.min(cooldown * 2, maxCooldown);
    openUntil = now() + cooldown;
    moveTo('open');
  };

  /** Runs `call` unless the breaker says to skip S3 right now. NotFound is an answer, not a failure. */
  async function guarded<T>(call: () => Promise<T>): Promise<T> {
    let trial = false;
    if (state === 'open') {
      if (now() < openUntil || trialInFlight)
        throw new StorageError('Unreachable', 'S3 skipped: the circuit breaker is open after recent failures');
      moveTo('half-open');
    }
    if (state === 'half-open') {
      if (trialInFlight)
        throw new StorageError('Unreachable', 'S3 skipped: a trial request is already checking whether it is back');
      trialInFlight = true;
      trial = true;
    }
    try {
      const result = await call();
      succeeded();
      return result;
    } catch (error) {
      if (error instanceof StorageError && error.code === 'NotFound') {
        succeeded();
      } else {
        failed(error);
      }
      throw error;
    } finally {
      if (trial) trialInFlight = false;
    }
  }

  const seal = adapter.sealChecksum?.bind(adapter);
  const probeAdapter = adapter.probe?.bind(adapter);
  const readHead = adapter.readHead?.bind(adapter);
  return {
    location: adapter.location,
    put: (key, body, putOptions) => guarded(() => adapter.put(key, body, putOptions)),
    get: (key, range) => guarded(() => adapter.get(key, range)),
    head: (key) => guarded(() => adapter.head(key)),
    delete: (key) => guarded(() => adapter.delete(key)),
    async *list(prefix) {
      // Listing is only used by operator tools; it reports failures but is not worth guarding page by page.
      yield* adapter.list(prefix);
    },
    urlFor: (key) => adapter.urlFor(key),
    ...(seal && { sealChecksum: (key: string) => guarded(() => seal(key)) }),
    ...(readHead && { readHead: (key: string, bytes: number) => guarded(() => readHead(key, bytes)) }),
    ...(probeAdapter && {
      // Like isAvailable, but the breaker keeps the real cause as its last failure.
      async probe() {
        const problem = await probeAdapter();
        if (!problem) probeAnswered();
        else if (state === 'closed') failed(problem);
        return problem;
      },
    }),
    async isAvailable() {
      const available = await adapter.isAvailable();
      if (available) probeAnswered();
      else if (state === 'closed')
        failed(new StorageError('Unreachable', 'S3 did not answer the health probe (HeadBucket)'));
      return available;
    },
    guard: (call) => guarded(call),
    breakerStatus: () => ({ state, lastFailure, openUntil: state === 'closed' ? undefined : new Date(openUntil) }),
  };
}
