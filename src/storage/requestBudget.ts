/**
 * How long one S3 request may take before it counts as slow and is abandoned: `slowAfterMs`
 * for S3 to answer, plus time to send the request's body at `minBytesPerSecond`. The SDK's
 * handler measures its requestTimeout from sending the request to S3's response headers, so
 * this one budget covers an endpoint that answers late (every request after 2 s) and a link
 * that trickles bytes (1 KB/s) alike; the SDK then retries, and the circuit breaker opens on
 * what is still failing. A per-call requestTimeout (a server-side copy's) is kept as given.
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface RequestBudget {
  slowAfterMs: number;
  minBytesPerSecond: number;
}

type HandledRequest = Parameters<NodeHttpHandler['handle']>[0];
type HandlerOptions = NonNullable<Parameters<NodeHttpHandler['handle']>[1]>;

/** What the SDK sends without a stated length is cut into parts of this size at most (lib-storage). */
const UNKNOWN_BODY_BYTES = 8 * 1024 * 1024;

/**
 * A multipart completion is answered only once S3 has joined the parts. AWS sends its 200 at
 * once and keeps the connection busy with whitespace; MinIO sends its first whitespace (and so
 * its headers) only after 10 s. More than that is allowed, so joining a long video is not slow.
 */
const COMPLETION_ALLOWANCE_MS = 12_000;

/** The body size a request declares: the decoded length of an aws-chunked body, else Content-Length. */
export function declaredBodyBytes(headers: Record<string, string>): number {
  for (const name of ['x-amz-decoded-content-length', 'content-length']) {
    const value = Object.entries(headers).find(([header]) => header.toLowerCase() === name)?.[1];
    if (value !== undefined && /^\d+$/.test(value)) return Number(value);
  }
  return 0;
}

/** The milliseconds a request may take until S3's response headers. */
export function requestBudgetMs(
  budget: RequestBudget,
  request: Pick<HandledRequest, 'headers' | 'body'> & Partial<Pick<HandledRequest, 'method' | 'query'>>,
): number {
  const body: unknown = request.body;
  const streamed = typeof (body as { pipe?: unknown } | undefined)?.pipe === 'function';
  const sent = declaredBodyBytes(request.headers) || (streamed ? UNKNOWN_BODY_BYTES : 0);
  const completion = request.method === 'POST' && request.query?.uploadId !== undefined;
  return (
    budget.slowAfterMs +
    Math.ceil((sent * 1000) / budget.minBytesPerSecond) +
    (completion ? COMPLETION_ALLOWANCE_MS : 0)
  );
}

export class BudgetedHttpHandler extends NodeHttpHandler {
  private readonly budget: RequestBudget;

  constructor(budget: RequestBudget & { connectionTimeoutMs: number }) {
    super({ connectionTimeout: budget.connectionTimeoutMs, throwOnRequestTimeout: true });
    this.budget = budget;
  }

  override handle(request: HandledRequest, options: HandlerOptions = {}) {
    return super.handle(request, {
      ...options,
      requestTimeout: options.requestTimeout ?? requestBudgetMs(this.budget, request),
    });
  }
}
