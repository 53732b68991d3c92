/**
 * Structured JSON logs (pino). Anything that could carry a credential is redacted by path,
 * so a stray `logger.info({ config })` cannot leak a secret into Render's log stream.
 * A line written while serving a request carries that request's id (`reqId`).
 * A developer at a terminal gets the same lines pretty and coloured (pino-pretty), after the
 * same redaction; production and anything piped (Render, CI, tests) stay JSON.
 */
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import { requestContext } from './requestContext.ts';

export type { Logger };

/** Pretty lines only for a person: outside production, and only when stdout is a terminal. */
export function wantsPrettyLogs(env: 'development' | 'production' | 'test', stdoutIsTty: boolean): boolean {
  return env !== 'production' && stdoutIsTty;
}

export function createLogger(
  options: { level?: string; destination?: DestinationStream; pretty?: boolean } = {},
): Logger {
  const destination = options.pretty ? prettyStream(options.destination) : options.destination;
  return pino(
    {
      level: options.level ?? 'info',
      mixin: () => ({ ...requestContext.getStore() }),
      redact: {
        paths: [
          '*.secretAccessKey',
          '*.accessKeyId',
          '*.sessionSecret',
          '*.password',
          '*.SESSION_SECRET',
          '*.AWS_SECRET_ACCESS_KEY',
          'req.headers.cookie',
          'req.headers.authorization',
          'res.headers["set-cookie"]',
          '*.headers.cookie',
          '*.headers.authorization',
          '*.headers["set-cookie"]',
        ],
        censor: '[redacted]',
      },
      // A presigned URL or POST policy is a credential until it expires, and could ride along in
      // an error message or a URL; its signature is scrubbed from every line as it is written.
      hooks: { streamWrite: redactSignatures },
    },
    destination,
  );
}

/** Loaded only when wanted, so a production process never pays for pino-pretty's modules. */
function prettyStream(destination: DestinationStream | undefined): DestinationStream {
  const pinoPretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return pinoPretty({
    colorize: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    destination: destination ?? 1,
    sync: true,
  });
}

const SIGNATURE = /(x-amz-signature["']?\s*[=:]\s*["']?)[0-9a-f]{16,}/gi;

export function redactSignatures(line: string): string {
  return line.replace(SIGNATURE, '$1[redacted]');
}
