/**
 * Multipart requests written by hand over a raw socket, for what supertest cannot do: declare
 * a body far larger than what is sent, send odd part headers, or go away mid-upload.
 */
import http from 'node:http';

export interface RawPart {
  name: string;
  filename?: string;
  contentType?: string;
  body: Buffer | string;
  /** Extra header lines placed before Content-Disposition. */
  headersBefore?: string[];
  /** Leave out Content-Disposition: a part that is neither a field nor a file, but still a part. */
  anonymous?: boolean;
}

export const BOUNDARY = '----vvhostile';

export function multipart(parts: RawPart[], { close = true } = {}): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `Content-Disposition: form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`;
    const headers = [
      ...(part.headersBefore ?? []),
      ...(part.anonymous ? [] : [disposition]),
      ...(part.contentType ? [`Content-Type: ${part.contentType}`] : []),
    ];
    chunks.push(
      Buffer.from(`--${BOUNDARY}\r\n${headers.join('\r\n')}\r\n\r\n`),
      Buffer.from(part.body),
      Buffer.from('\r\n'),
    );
  }
  if (close) chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

export interface RawResponse {
  status: number;
  text: string;
  elapsedMs: number;
}

/**
 * POSTs `sent` while declaring `declaredLength` bytes, then waits for the answer without
 * sending the rest: only a server that answers before reading the whole body responds.
 */
export function postPartialBody(
  url: string,
  options: { cookie?: string; sent: Buffer; declaredLength: number; timeoutMs?: number },
): Promise<RawResponse> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: {
        ...(options.cookie && { cookie: options.cookie }),
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
        'content-length': String(options.declaredLength),
      },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${options.timeoutMs ?? 5000} ms: the server waited for the whole body`));
    }, options.timeoutMs ?? 5000);
    req.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: response.statusCode ?? 0, text, elapsedMs: performance.now() - started });
      });
    });
    // The server may close the socket before we finish writing; the answer still counts.
    req.on('error', () => undefined);
    req.write(options.sent);
  });
}
