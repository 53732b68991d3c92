/**
 * Real HTTP clients sending a multipart avatar of any size, generated as it is sent (never a
 * file, never one big buffer outside curl): curl, Node's fetch (undici), Python's urllib and a
 * raw socket that trickles. Each resolves with what the client itself reports — the status and
 * body it read, or the error it gave — so a test sees exactly what a script or an app would.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { Readable } from 'node:stream';

export const FORM_BOUNDARY = '----vvlinger';

export interface ClientOutcome {
  status?: number;
  text?: string;
  error?: string;
  elapsedMs: number;
}

export interface AvatarUpload {
  url: string;
  cookie: string;
  csrf: string;
  /** Bytes of the file part. */
  fileBytes: number;
}

function framing({ csrf }: AvatarUpload): { head: Buffer; tail: Buffer } {
  const head = Buffer.from(
    `--${FORM_BOUNDARY}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n` +
      `--${FORM_BOUNDARY}\r\nContent-Disposition: form-data; name="avatar"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n`,
  );
  return { head, tail: Buffer.from(`\r\n--${FORM_BOUNDARY}--\r\n`) };
}

export function bodyLength(upload: AvatarUpload): number {
  const { head, tail } = framing(upload);
  return head.length + upload.fileBytes + tail.length;
}

/** The multipart body as a stream of 64 KiB chunks, made as they are read. */
export function* bodyChunks(upload: AvatarUpload): Generator<Buffer> {
  const { head, tail } = framing(upload);
  yield head;
  const filler = Buffer.alloc(64 * 1024, 0x61);
  for (let left = upload.fileBytes; left > 0; left -= filler.length)
    yield left >= filler.length ? filler : filler.subarray(0, left);
  yield tail;
}

const contentType = `multipart/form-data; boundary=${FORM_BOUNDARY}`;

function run(
  command: string,
  args: string[],
  stdin?: Readable,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    // curl stops reading its stdin once it has the answer; that is not a failure of the test.
    if (stdin && child.stdin) {
      child.stdin.on('error', () => {});
      stdin.pipe(child.stdin);
    }
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function uploadWithCurl(upload: AvatarUpload): Promise<ClientOutcome> {
  const started = performance.now();
  const { code, stdout, stderr } = await run(
    'curl',
    [
      '-sS',
      '--max-time',
      '120',
      '-H',
      `Cookie: ${upload.cookie}`,
      '-H',
      `Content-Type: ${contentType}`,
      '-H',
      'Accept: text/html',
      '--data-binary',
      '@-',
      '-w',
      '\n%{http_code}',
      upload.url,
    ],
    Readable.from(bodyChunks(upload)),
  );
  const elapsedMs = performance.now() - started;
  if (code !== 0) return { error: stderr.trim() || `curl exited with ${code}`, elapsedMs };
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), text: stdout.slice(0, cut), elapsedMs };
}

export async function uploadWithFetch(upload: AvatarUpload): Promise<ClientOutcome> {
  const started = performance.now();
  try {
    const response = await fetch(upload.url, {
      method: 'POST',
      headers: {
        cookie: upload.cookie,
        'content-type': contentType,
        'content-length': String(bodyLength(upload)),
        accept: 'text/html',
      },
      body: Readable.toWeb(Readable.from(bodyChunks(upload))) as ReadableStream<Uint8Array>,
      duplex: 'half',
      redirect: 'manual',
    } as RequestInit);
    return { status: response.status, text: await response.text(), elapsedMs: performance.now() - started };
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    return {
      error: `${(error as Error).message}${cause ? ` (${cause})` : ''}`,
      elapsedMs: performance.now() - started,
    };
  }
}

/** urllib sends the whole body before it reads a byte of the answer: the client a lingering close is for. */
const PYTHON_CLIENT = `
import json, sys, urllib.request, urllib.error
url, cookie, csrf, size, boundary = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
head = (f'--{boundary}\\r\\nContent-Disposition: form-data; name="_csrf"\\r\\n\\r\\n{csrf}\\r\\n'
        f'--{boundary}\\r\\nContent-Disposition: form-data; name="avatar"; filename="big.png"\\r\\nContent-Type: image/png\\r\\n\\r\\n').encode()
tail = f'\\r\\n--{boundary}--\\r\\n'.encode()
def chunks():
    yield head
    left = size
    filler = b'a' * 65536
    while left > 0:
        yield filler[:left]
        left -= len(filler)
    yield tail
request = urllib.request.Request(url, data=chunks(), method='POST', headers={
    'Cookie': cookie, 'Content-Type': f'multipart/form-data; boundary={boundary}',
    'Content-Length': str(len(head) + size + len(tail)), 'Accept': 'text/html'})
try:
    with urllib.request.urlopen(request, timeout=120) as response:
        print(json.dumps({'status': response.status, 'text': response.read().decode()}))
except urllib.error.HTTPError as error:
    print(json.dumps({'status': error.code, 'text': error.read().decode()}))
except Exception as error:
    print(json.dumps({'error': str(error)}))
`;

export async function uploadWithPython(upload: AvatarUpload): Promise<ClientOutcome> {
  const started = performance.now();
  const { stdout, stderr } = await run('python3', [
    '-c',
    PYTHON_CLIENT,
    upload.url,
    upload.cookie,
    upload.csrf,
    String(upload.fileBytes),
    FORM_BOUNDARY,
  ]);
  const elapsedMs = performance.now() - started;
  try {
    return { ...(JSON.parse(stdout) as Omit<ClientOutcome, 'elapsedMs'>), elapsedMs };
  } catch {
    return { error: `python printed ${JSON.stringify(stdout)} ${stderr}`, elapsedMs };
  }
}

export interface TrickleOutcome {
  /** Everything the server sent before it closed the connection. */
  received: string;
  /** When the answer's last byte came, and when the server closed, after the headers were sent. */
  answeredMs: number | undefined;
  closedMs: number;
  sentBytes: number;
}

/**
 * Declares `upload.fileBytes`, then sends `chunkBytes` every `everyMs` (or as fast as the socket
 * takes them when `everyMs` is 0) until the server closes the connection or `giveUpMs` passes.
 */
export function trickleUpload(
  upload: AvatarUpload,
  {
    chunkBytes,
    everyMs,
    giveUpMs,
    plainForm = false,
  }: { chunkBytes: number; everyMs: number; giveUpMs: number; plainForm?: boolean },
): Promise<TrickleOutcome> {
  const { hostname, port, pathname } = new URL(upload.url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let received = '';
    let answeredMs: number | undefined;
    let sentBytes = 0;
    const started = performance.now();
    const chunk = Buffer.alloc(chunkBytes, 0x61);
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      clearTimeout(giveUp);
      resolve({ received, answeredMs, closedMs: performance.now() - started, sentBytes });
    };
    const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    socket.on('data', (data: Buffer) => {
      received += data.toString();
      if (received.includes('</html>')) answeredMs ??= performance.now() - started;
    });
    socket.on('error', () => {});
    socket.once('close', finish);
    socket.once('connect', () => {
      socket.write(
        `POST ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nCookie: ${upload.cookie}\r\n` +
          `Content-Type: ${plainForm ? 'application/x-www-form-urlencoded' : contentType}\r\n` +
          `Content-Length: ${bodyLength(upload)}\r\nAccept: text/html\r\n\r\n`,
      );
      if (!plainForm) socket.write(framing(upload).head);
      const send = () => {
        if (socket.destroyed) return;
        sentBytes += chunk.length;
        const flushed = socket.write(chunk);
        if (everyMs > 0) timer = setTimeout(send, everyMs);
        else if (flushed) setImmediate(send);
        else socket.once('drain', send);
      };
      send();
    });
  });
}
