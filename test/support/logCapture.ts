/**
 * The worker side of the run-wide secret scan. Every app a test builds, every captureLogs()
 * logger and every server child process writes its log lines under the run's capture
 * directory (VV_LOG_CAPTURE_DIR, made by globalSetup), and every secret a test hands an app
 * (session secrets, live session ids) is recorded beside them. The summary reporter greps
 * the lot once the run is over (see secretScan.ts) and fails the run on a match.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pino, type DestinationStream } from 'pino';

const captureDir = process.env.VV_LOG_CAPTURE_DIR;

export const SECRETS_FILE_PREFIX = 'secrets-';

/** A file of its own for one logger, or undefined when the run captures nothing (no globalSetup). */
export function captureDestination(): DestinationStream | undefined {
  if (!captureDir) return undefined;
  return pino.destination({
    dest: path.join(captureDir, `log-${process.pid}-${randomBytes(4).toString('hex')}.jsonl`),
    sync: true,
    mkdir: true,
  });
}

/** Appends text some test collected (a child process's output) to the capture. */
export function captureText(text: string): void {
  if (!captureDir) return;
  fs.appendFileSync(path.join(captureDir, `output-${process.pid}-${randomBytes(4).toString('hex')}.txt`), text);
}

/** Remembers a value that must never appear in any log line of the run; `label` names it in the report. */
export function recordSecret(label: string, value: string): void {
  if (!captureDir || value.length < 8) return;
  fs.appendFileSync(path.join(captureDir, `${SECRETS_FILE_PREFIX}${process.pid}.txt`), `${label}\t${value}\n`);
}
