/**
 * Turns a failure to reach PostgreSQL at start-up into one sentence an operator can act on,
 * naming the host and the cause, instead of a stack trace (or, for a refused connection on a
 * dual-stack host, an AggregateError whose message is empty). Never repeats the password.
 */

/** The sentence, or undefined when `error` is not a connection problem (then it deserves its stack). */
export function explainConnectionError(error: unknown, databaseUrl: string): string | undefined {
  const where = describeServer(databaseUrl);
  const codes = errorCodes(error);
  const message = error instanceof Error ? error.message : String(error);
  const has = (...wanted: string[]) => wanted.some((code) => codes.has(code));

  if (has('ECONNREFUSED'))
    return `Cannot reach the database at ${where}: the connection was refused (ECONNREFUSED) — is PostgreSQL running there and listening on that port?`;
  if (has('ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME'))
    return `Cannot reach the database at ${where}: the host name does not resolve (ENOTFOUND) — check the host in DATABASE_URL.`;
  if (has('28P01', '28000'))
    return `The database at ${where} refused the login: authentication failed (${message}) — check the user and password in DATABASE_URL.`;
  if (has('3D000'))
    return `The database server at ${where} is reachable but the database does not exist (${message}) — check the name at the end of DATABASE_URL.`;
  if (has('ETIMEDOUT') || /timeout/i.test(message))
    return `Cannot reach the database at ${where}: the connection timed out — check the host, the port and any firewall or IP allow-list between this service and the database.`;
  if (has('EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET'))
    return `Cannot reach the database at ${where}: ${[...codes][0]} — the network path to the database is broken.`;
  if (/SSL/i.test(message))
    return `Cannot connect to the database at ${where}: ${message} — check the sslmode in DATABASE_URL.`;
  return undefined;
}

/** host:port (PostgreSQL's default port when the URL has none), without user or password. */
function describeServer(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname}:${url.port || '5432'}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/** Codes on the error, its cause and, for AggregateError (one attempt per address), each attempt. */
function errorCodes(error: unknown, seen = new Set<unknown>()): Set<string> {
  const codes = new Set<string>();
  if (typeof error !== 'object' || error === null || seen.has(error)) return codes;
  seen.add(error);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') codes.add(code);
  const nested = [
    (error as { cause?: unknown }).cause,
    ...(error instanceof AggregateError ? (error.errors as unknown[]) : []),
  ];
  for (const inner of nested) for (const innerCode of errorCodes(inner, seen)) codes.add(innerCode);
  return codes;
}
