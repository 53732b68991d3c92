/**
 * How the web layer holds out against clients (HEALTHZ_TOKEN, SIGNUPS_PER_IP_PER_HOUR, the
 * request timeouts and the lingering close after a refusal): who may read /healthz details, how many accounts one client may open, and
 * how long a connection may take or sit idle. Problems are recorded by the readers, by name.
 */
import type { EnvReaders } from './envReaders.ts';

export interface WebHardening {
  /** Callers sending `Authorization: Bearer <token>` get /healthz details; undefined: nobody does (logs still have them). */
  healthzToken: string | undefined;
  /** Sign-ups (successful or not) one client IP may make per hour. */
  signupsPerIpPerHour: number;
  /** Longest a whole request may take to arrive (a large video over a slow phone must fit). */
  requestTimeoutMs: number;
  /** Longest the request line and headers may take. */
  headersTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
  /** After a refusal, the unread rest of a body is discarded for at most this long (lingering close). */
  refusedBodyLingerMs: number;
  /** …and at most this many bytes; undefined: twice the largest upload (image + video), at most 1 GiB. */
  refusedBodyLingerBytes: number | undefined;
  /** A connection with no byte in either direction for this long is closed (bounds a slow-loris). */
  requestIdleTimeoutMs: number;
}

export function readWebHardening({ read, positiveInt }: EnvReaders, problems: string[]): WebHardening {
  const healthzToken = read('HEALTHZ_TOKEN');
  if (healthzToken !== undefined && healthzToken.length < 16)
    problems.push('HEALTHZ_TOKEN must be at least 16 characters long (or unset: then /healthz shows only its status)');
  const headersTimeoutSeconds = positiveInt('HEADERS_TIMEOUT_SECONDS', 30, 600);
  const keepAliveTimeoutSeconds = positiveInt('KEEP_ALIVE_TIMEOUT_SECONDS', 65, 600);
  const requestTimeoutSeconds = positiveInt('REQUEST_TIMEOUT_SECONDS', 3600, 86_400);
  if (requestTimeoutSeconds < headersTimeoutSeconds)
    problems.push('REQUEST_TIMEOUT_SECONDS must be at least HEADERS_TIMEOUT_SECONDS (Node refuses otherwise)');
  return {
    healthzToken,
    signupsPerIpPerHour: positiveInt('SIGNUPS_PER_IP_PER_HOUR', 10, 100_000),
    requestTimeoutMs: requestTimeoutSeconds * 1000,
    headersTimeoutMs: headersTimeoutSeconds * 1000,
    keepAliveTimeoutMs: keepAliveTimeoutSeconds * 1000,
    refusedBodyLingerMs: positiveInt('REFUSED_BODY_LINGER_SECONDS', 30, 600) * 1000,
    refusedBodyLingerBytes:
      read('REFUSED_BODY_LINGER_MB') === undefined
        ? undefined
        : positiveInt('REFUSED_BODY_LINGER_MB', 1, 10_240) * 1024 * 1024,
    requestIdleTimeoutMs: positiveInt('REQUEST_IDLE_TIMEOUT_SECONDS', 60, 3600) * 1000,
  };
}
