/**
 * The one piece of AWS Signature Version 4 shared by what we still sign ourselves (time-window
 * GET URLs, UploadPart URLs; POST policies go through AWS's presigner): the signing key, which depends only on the secret, the date, the
 * region and the service — so it can be derived once per day or window and reused.
 */
import { createHmac } from 'node:crypto';

const hmacSha256 = (key: Buffer | string, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest();

export function signingKey(secretAccessKey: string, date: string, region: string, service = 's3'): Buffer {
  return hmacSha256(
    hmacSha256(hmacSha256(hmacSha256(`AWS4${secretAccessKey}`, date), region), service),
    'aws4_request',
  );
}
