/**
 * The browser's direct-upload flow (static/js/directUpload.js) over plain HTTP, as a bench
 * member: `POST /uploads/presign` with the CSRF token in X-CSRF-Token, then the signed form
 * fields and the file straight to the bucket, then `POST /uploads/finalize` (202: the worker
 * processes it) and the status polls until it is stored. Plus the
 * refusals bench:direct uses to price the bytes handling alone: the same photo with its magic
 * bytes overwritten is read whole by the form route and only then refused by the format sniff,
 * while finalize refuses it from its first 4100 bytes.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpMember, Reply } from './httpMember.ts';

/** Connections to the S3 server, kept apart from the app's (httpMember's agent). */
const bucketAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const BUCKET_TIMEOUT_MS = 60_000;
const CONTENT_TYPE = 'image/jpeg';

export interface SignedUpload {
  url: string;
  fields: Record<string, string>;
  key: string;
}

/** POST /uploads/presign for an avatar of `size` bytes; throws unless the app signs it. */
export async function presign(member: HttpMember, size: number): Promise<SignedUpload> {
  const reply = await postJson(member, '/uploads/presign', { purpose: 'avatar', contentType: CONTENT_TYPE, size });
  const signed = parseJson(reply) as Partial<SignedUpload>;
  if (
    reply.status !== 200 ||
    typeof signed.url !== 'string' ||
    typeof signed.key !== 'string' ||
    typeof signed.fields !== 'object'
  ) {
    throw new Error(`presign for ${member.username} answered ${reply.status}: ${reply.body.slice(0, 300)}`);
  }
  return signed as SignedUpload;
}

/** The signed form, then the file, to the bucket URL (as the browser's FormData does); throws unless S3 accepts it. */
export async function sendToBucket(upload: SignedUpload, fileName: string, bytes: Buffer): Promise<void> {
  const { contentType, parts } = multipart(Object.entries(upload.fields), { field: 'file', fileName, bytes });
  const length = parts.reduce((total, part) => total + part.length, 0);
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.request(
      upload.url,
      {
        method: 'POST',
        agent: bucketAgent,
        headers: { 'content-type': contentType, 'content-length': String(length) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    request.setTimeout(BUCKET_TIMEOUT_MS, () =>
      request.destroy(new Error(`the S3 server did not answer within ${BUCKET_TIMEOUT_MS / 1000} s`)),
    );
    request.on('error', reject);
    for (const part of parts) request.write(part);
    request.end();
  });
  if (status >= 300)
    throw new Error(`the S3 server answered the signed POST of ${upload.key} with ${status}: ${body.slice(0, 300)}`);
}

/**
 * POST /uploads/finalize. `expect: 'stored'` wants 202 (the job queued) and the profile page;
 * `'refused'` wants the 415 the format sniff gives an unrecognisable file.
 */
export async function finalize(member: HttpMember, key: string, expect: 'stored' | 'refused'): Promise<void> {
  const reply = await postJson(member, '/uploads/finalize', { key });
  const answer = parseJson(reply) as { page?: unknown; state?: unknown };
  const ok =
    expect === 'stored'
      ? reply.status === 202 && answer.state === 'processing' && answer.page === '/profile'
      : reply.status === 415;
  if (!ok)
    throw new Error(
      `finalize of ${key} by ${member.username} answered ${reply.status} (wanted ${expect === 'stored' ? '202 processing → /profile' : '415'}): ${reply.body.slice(0, 300)}`,
    );
}

/** directUpload.js's cadence: the first poll after 500 ms, then 1.5× longer each time, at most 4 s. */
const FIRST_POLL_MS = 500;
const POLL_BACKOFF = 1.5;
const LONGEST_POLL_MS = 4_000;
const GIVE_UP_MS = 120_000;

/**
 * What the browser does after finalize: polls GET /uploads/direct/status until the worker has
 * stored the upload (then it opens the page, as the form route's 303 makes it do: not counted
 * on either side). Resolves to the number of polls; throws when refused or not stored in time.
 */
export async function followToStored(member: HttpMember, key: string): Promise<number> {
  const query = `?key=${encodeURIComponent(key)}`;
  const started = Date.now();
  let delay = FIRST_POLL_MS;
  for (let polls = 1; Date.now() - started < GIVE_UP_MS; polls++) {
    await sleep(delay);
    delay = Math.min(delay * POLL_BACKOFF, LONGEST_POLL_MS);
    const reply = await member.send('GET', `/uploads/direct/status${query}`, { accept: 'application/json' });
    const status = parseJson(reply) as { state?: unknown; refusal?: unknown };
    if (reply.status !== 200)
      throw new Error(`the status of ${key} answered ${reply.status}: ${reply.body.slice(0, 300)}`);
    if (status.state === 'refused') throw new Error(`the worker refused ${key}: ${String(status.refusal)}`);
    if (status.state === 'stored') return polls;
  }
  throw new Error(`${key} was not stored within ${GIVE_UP_MS / 1000} s`);
}

/** POST /profile/avatar with a file the sniff refuses: the whole body is received, then 415. */
export async function refusedFormUpload(member: HttpMember, fileName: string, bytes: Buffer): Promise<void> {
  const { contentType, parts } = multipart([['_csrf', member.csrfToken]], { field: 'avatar', fileName, bytes });
  const reply = await member.send('POST', '/profile/avatar', { 'content-type': contentType }, parts);
  if (reply.status !== 415)
    throw new Error(`the refused avatar upload by ${member.username} answered ${reply.status}, not 415`);
}

/** The same bytes with the JPEG signature overwritten: no accepted format is recognised in them. */
export function unrecognisable(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy.write('VVBENCH-NOT-AN-IMAGE', 0, 'latin1');
  return copy;
}

export function closeBucketConnections(): void {
  bucketAgent.destroy();
}

function postJson(member: HttpMember, path: string, body: unknown): Promise<Reply> {
  return member.send('POST', path, { 'content-type': 'application/json', 'x-csrf-token': member.csrfToken }, [
    Buffer.from(JSON.stringify(body)),
  ]);
}

function parseJson(reply: Reply): unknown {
  try {
    return JSON.parse(reply.body) as unknown;
  } catch {
    return {};
  }
}

/** multipart/form-data: the fields in order, then the file (a browser's FormData, or the profile form). */
function multipart(
  fields: Array<[string, string]>,
  file: { field: string; fileName: string; bytes: Buffer },
): { contentType: string; parts: Buffer[] } {
  const boundary = `----bench${randomBytes(12).toString('hex')}`;
  const head =
    fields
      .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
      .join('') +
    `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.fileName}"\r\nContent-Type: ${CONTENT_TYPE}\r\n\r\n`;
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    parts: [Buffer.from(head), file.bytes, Buffer.from(`\r\n--${boundary}--\r\n`)],
  };
}
