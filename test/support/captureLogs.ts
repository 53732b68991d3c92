/**
 * The app's own logger (redaction included), whose JSON lines are kept in memory for
 * assertions and also written to the run's log capture for the secret scan.
 */
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/logger.ts';
import { captureDestination } from './logCapture.ts';

export interface CapturedLogs {
  logger: Logger;
  lines(): Array<Record<string, unknown> & { level: number; msg: string }>;
  text(): string;
}

export function captureLogs(): CapturedLogs {
  const chunks: string[] = [];
  const capture = captureDestination();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      capture?.write(chunk.toString());
      done();
    },
  });
  return {
    logger: createLogger({ level: 'debug', destination: sink }),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    text: () => chunks.join(''),
  };
}
