/**
 * Tells a database that cannot be reached or is restarting (a failover, a restart, an admin's
 * pg_terminate_backend, a pool that waited too long for a connection) from a query that is
 * wrong. The first is the operator's outage and the member's "try again in a minute" (503);
 * the second is our bug (500). Looks through `cause` chains and AggregateErrors, because pg and
 * Kysely wrap what the socket said.
 */

/** Node socket codes that mean the server is not there (or went away mid-conversation). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * SQLSTATEs of a server that is going or not ready: class 08 (connection exception), 57P01
 * admin_shutdown (a restart or pg_terminate_backend), 57P02 crash_shutdown, 57P03
 * cannot_connect_now (starting up or shutting down), 53300 too_many_connections, and 57014
 * query_canceled (our statement_timeout: a database too slow to answer is unavailable too).
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);

/** What pg itself throws (no code) when a connection ends, or when the pool or a query times out. */
const PG_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Query read timeout/i,
  /not queryable/i,
  /Client was closed/i,
];

/** True when `error`, its cause or any attempt inside it says the database is unavailable. */
export function isDatabaseUnavailable(error: unknown, seen = new Set<unknown>()): boolean {
  if (typeof error !== 'object' || error === null || seen.has(error)) return false;
  seen.add(error);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')))
    return true;
  const message = error instanceof Error ? error.message : '';
  if (PG_MESSAGES.some((pattern) => pattern.test(message))) return true;
  const nested = [
    (error as { cause?: unknown }).cause,
    ...(error instanceof AggregateError ? (error.errors as unknown[]) : []),
  ];
  return nested.some((inner) => isDatabaseUnavailable(inner, seen));
}
