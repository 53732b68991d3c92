/**
 * Structured JSON logs (pino). Anything that could carry a credential is redacted by path,
 * so a stray `logger.info({ config })` cannot leak a secret into Render's log stream.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
    level: options.level ?? 'info',
    redact: {
      paths: [
        '*.secretAccessKey',
        '*.accessKeyId',
        '*.sessionSecret',
        '*.password',
        'req.headers.cookie',
        'req.headers.authorization',
        'res.headers["set-cookie"]',
      ],
      censor: '[redacted]',
    },
    },
    options.destination,
  );
}
