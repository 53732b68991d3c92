/**
 * The run-wide check that no credential reached a log (issue #7): after every test has
 * finished, each captured log line and child-process output of the run is searched for the
 * secrets recorded during the run, the S3 secret key, the test password and any presigned
 * signature. Run by the summary reporter, so a leak fails the run and its summary line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SECRETS_FILE_PREFIX } from './logCapture.ts';

/** A SigV4 signature in a URL query, a header or a POST policy form field. */
const SIGNATURE = /x-amz-signature["']?\s*[=:]\s*["']?[0-9a-f]{64}/i;

export interface ScanResult {
  files: number;
  bytes: number;
  secrets: number;
  /** One line per leak: the file and what leaked (named, never printed). */
  leaks: string[];
}

export function scanCapturedLogs(dir: string): ScanResult {
  const names = fs.readdirSync(dir);
  const secrets = new Map<string, string>();
  for (const name of names.filter((file) => file.startsWith(SECRETS_FILE_PREFIX))) {
    for (const line of fs.readFileSync(path.join(dir, name), 'utf8').split('\n')) {
      const [label, ...value] = line.split('\t');
      if (label && value.length > 0) secrets.set(value.join('\t'), label);
    }
  }
  const result: ScanResult = { files: 0, bytes: 0, secrets: secrets.size, leaks: [] };
  for (const name of names.filter((file) => !file.startsWith(SECRETS_FILE_PREFIX))) {
    const text = fs.readFileSync(path.join(dir, name), 'utf8');
    result.files += 1;
    result.bytes += text.length;
    for (const [secret, label] of secrets) if (text.includes(secret)) result.leaks.push(`${name}: contains ${label}`);
    if (SIGNATURE.test(text)) result.leaks.push(`${name}: contains a presigned X-Amz-Signature`);
  }
  result.leaks = [...new Set(result.leaks)];
  return result;
}
