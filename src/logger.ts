/**
 * Structured JSON logs (pino). Anything that could carry a credential is redacted by path,
 * so a stray `logger.info({ config })` cannot leak a secret into Render's log stream.
 * A line written while serving a request carries that request's id (`reqId`).
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import { requestContext } from './requestContext.ts';

export type { Logger };

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
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
    options.destination,
  );
}

const SIGNATURE = /(x-amz-signature["']?\s*[=:]\s*["']?)[0-9a-f]{16,}/gi;

export function redactSignatures(line: string): string {
  return line.replace(SIGNATURE, '$1[redacted]');
}
