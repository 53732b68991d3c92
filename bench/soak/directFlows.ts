/**
 * The browser's direct uploads, as static/js/directUpload.js and directVideoUpload.js run
 * them: sign, send the bytes straight to S3, then ask the app to finalize or complete. When
 * the app says 409 (breaker open) or S3 cannot be reached, the scripts post the ordinary form
 * instead, and so does this. A finalize or complete answered 202 is followed to its end
 * through the status URL it names (polled, bounded), so the traffic keeps working if those
 * steps move to a background job.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { sendToBucket, type SignedUpload } from '../support/directClient.ts';
import type { HttpMember, Reply } from '../support/httpMember.ts';

const BUCKET_TIMEOUT_MS = 30_000;
const POLL_EVERY_MS = 500;
const POLL_FOR_MS = 60_000;

/** How a direct upload ended: stored (with the JSON answer), refused by the app, or "post the form instead". */
export type DirectOutcome =
  | { ended: 'stored'; answer: Record<string, unknown> }
  | { ended: 'refused'; status: number; why: string }
  | { ended: 'use-form'; why: string };

export async function directAvatarUpload(member: HttpMember, bytes: Buffer): Promise<DirectOutcome> {
  const signed = await postJson(member, '/uploads/presign', {
    purpose: 'avatar',
    contentType: 'image/jpeg',
    size: bytes.length,
  });
  if (signed.status === 409) return { ended: 'use-form', why: 'presign answered 409' };
  if (signed.status !== 200) return refused(signed);
  const upload = parse(signed) as unknown as SignedUpload;
  try {
    await sendToBucket(upload, 'me.jpg', bytes);
  } catch (error) {
    return { ended: 'use-form', why: `S3: ${(error as Error).message}` };
  }
  return followToEnd(member, await postJson(member, '/uploads/finalize', { key: upload.key }));
}

export async function directVideoUpload(member: HttpMember, title: string, bytes: Buffer): Promise<DirectOutcome> {
  const started = await postJson(member, '/uploads/videos/start', {
    title,
    description: 'sent straight to S3 by the soak run',
    contentType: 'video/webm',
    size: bytes.length,
  });
  if (started.status === 409) return { ended: 'use-form', why: 'start answered 409' };
  if (started.status !== 200) return refused(started);
  const { key, partBytes, partCount } = parse(started) as { key: string; partBytes: number; partCount: number };
  const parts: Array<{ partNumber: number; etag: string }> = [];
  try {
    for (let partNumber = 1; partNumber <= partCount; partNumber++) {
      const signed = await postJson(member, '/uploads/videos/parts', { key, partNumbers: [partNumber] });
      if (signed.status !== 200) throw new Error(`signing part ${partNumber} answered ${signed.status}`);
      const [part] = (parse(signed) as { parts: Array<{ url: string }> }).parts;
      const piece = bytes.subarray((partNumber - 1) * partBytes, partNumber * partBytes);
      parts.push({ partNumber, etag: await putPart(part!.url, piece) });
    }
  } catch (error) {
    // As the script does: cancel what S3 holds, then send the form.
    await postJson(member, '/uploads/videos/abort', { key }).catch(() => undefined);
    return { ended: 'use-form', why: (error as Error).message };
  }
  return followToEnd(member, await postJson(member, '/uploads/videos/complete', { key, parts }));
}

/**
 * 200: stored. 202: poll the status URL it names, as static/js/directUpload.js does, until the
 * upload is no longer "processing" (the status answers 200 while it is). Anything else: refused.
 * An upload still processing when polling gives up counts as refused: it was never confirmed.
 */
async function followToEnd(member: HttpMember, reply: Reply): Promise<DirectOutcome> {
  let current = reply;
  const deadline = Date.now() + POLL_FOR_MS;
  const statusUrl = current.status === 202 ? statusUrlOf(current) : undefined;
  if (current.status === 202 && !statusUrl)
    return { ended: 'refused', status: 202, why: '202 without a status URL to follow' };
  while (current.status === 202 || (statusUrl && stateOf(current) === 'processing')) {
    if (Date.now() > deadline)
      return { ended: 'refused', status: current.status, why: `still processing after ${POLL_FOR_MS / 1000} s` };
    await sleep(POLL_EVERY_MS);
    current = await member.send('GET', statusUrl!, { accept: 'application/json' });
  }
  const answer = parse(current);
  if (current.status === 200 && !('error' in answer) && !/fail|refus|error/i.test(stateOf(current)))
    return { ended: 'stored', answer };
  return refused(current);
}

function stateOf(reply: Reply): string {
  const answer = parse(reply);
  return typeof answer.state === 'string' ? answer.state : typeof answer.status === 'string' ? answer.status : '';
}

function statusUrlOf(reply: Reply): string | undefined {
  const answer = parse(reply);
  for (const candidate of [answer.statusUrl, answer.status_url, answer.poll, answer.status, reply.location])
    if (typeof candidate === 'string' && candidate.startsWith('/')) return candidate;
  return undefined;
}

function refused(reply: Reply): DirectOutcome {
  // The app's sentence: `error` from a refusing route, `refusal` from the status of an upload the job refused.
  const { error, refusal } = parse(reply);
  const why = typeof error === 'string' ? error : typeof refusal === 'string' ? refusal : reply.body.slice(0, 160);
  return { ended: 'refused', status: reply.status, why };
}

function postJson(member: HttpMember, path: string, body: unknown): Promise<Reply> {
  return member.send(
    'POST',
    path,
    { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': member.csrfToken },
    [Buffer.from(JSON.stringify(body))],
  );
}

function parse(reply: Reply): Record<string, unknown> {
  try {
    const value = JSON.parse(reply.body) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** PUT one part to its presigned URL, as the browser does; resolves with its ETag. */
function putPart(url: string, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'PUT', headers: { 'content-length': String(bytes.length) } },
      (response) => {
        response.resume();
        response.on('error', reject);
        response.on('end', () => {
          const etag = response.headers.etag;
          if ((response.statusCode ?? 0) >= 300 || typeof etag !== 'string')
            reject(new Error(`S3 answered the part PUT with ${response.statusCode}`));
          else resolve(etag);
        });
      },
    );
    request.setTimeout(BUCKET_TIMEOUT_MS, () => request.destroy(new Error('S3 did not answer the part PUT')));
    request.on('error', (error) => reject(new Error(`S3: ${error.message}`)));
    request.end(bytes);
  });
}
