/**
 * A member driving the running app over plain HTTP, as a browser would behind Render's TLS
 * proxy: `X-Forwarded-Proto: https` on every request (production trusts one proxy hop, and
 * express-session only issues its Secure cookie on a secure request), cookies kept by hand
 * (a browser-like jar would refuse to send a Secure cookie over http://127.0.0.1).
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const PASSWORD = 'bench horse battery staple';

/** One request as a load generator counts it: status 0 when no answer came (refused, reset, timed out). */
export interface ReplyRecord {
  method: string;
  path: string;
  status: number;
  startedAt: number;
  endedAt: number;
}

/** Set by a load generator (bench/soak): every request of every member is reported here, and bounded in time. */
const observation: { listener?: (record: ReplyRecord) => void; timeoutMs?: number } = {};

/** Reports every request's outcome to `listener`, and gives up on a request after `timeoutMs` (status 0). */
export function observeReplies(listener: (record: ReplyRecord) => void, timeoutMs: number): void {
  observation.listener = listener;
  observation.timeoutMs = timeoutMs;
}

export interface Reply {
  status: number;
  location: string | undefined;
  body: string;
}

export interface FormFile {
  field: string;
  fileName: string;
  contentType: string;
  bytes: Buffer;
}

export class HttpMember {
  private readonly cookies = new Map<string, string>();
  /** The profile form's CSRF token (scripts send it as X-CSRF-Token; bench/direct.ts does). */
  csrfToken = '';

  readonly origin: string;
  readonly username: string;

  private constructor(origin: string, username: string) {
    this.origin = origin;
    this.username = username;
  }

  /** No account and no cookies: for the benchmark's own competing servers, which have no sessions. */
  static visitor(origin: string): HttpMember {
    return new HttpMember(origin, 'visitor');
  }

  /** Signs up a new member (GET /signup for the token and cookie, POST /signup) and reads the profile form's token. */
  static async signUp(origin: string, username: string): Promise<HttpMember> {
    const member = new HttpMember(origin, username);
    const signupToken = csrfTokenIn((await member.send('GET', '/signup')).body, '/signup');
    const form = new URLSearchParams({ _csrf: signupToken, username, password: PASSWORD }).toString();
    const signedUp = await member.send('POST', '/signup', { 'content-type': 'application/x-www-form-urlencoded' }, [
      Buffer.from(form),
    ]);
    if (signedUp.status !== 303)
      throw new Error(`Sign-up of ${username} answered ${signedUp.status}: ${textOf(signedUp.body)}`);
    member.csrfToken = csrfTokenIn((await member.send('GET', '/profile')).body, '/profile');
    return member;
  }

  /** POST /profile/avatar as the profile form does (`_csrf` first, then the file); throws unless 303. */
  async uploadAvatar(fileName: string, bytes: Buffer): Promise<void> {
    const reply = await this.postForm(
      '/profile/avatar',
      { _csrf: this.csrfToken },
      { field: 'avatar', fileName, contentType: 'image/jpeg', bytes },
    );
    if (reply.status !== 303 || reply.location !== '/profile') {
      throw new Error(
        `avatar upload by ${this.username} answered ${reply.status} ${reply.location ?? ''}: ${textOf(reply.body)}`,
      );
    }
  }

  /** A multipart form as a browser sends it: the text fields in order, then the file (or files, in order). */
  postForm(path: string, fields: Record<string, string>, file: FormFile | FormFile[]): Promise<Reply> {
    const boundary = `----bench${randomBytes(12).toString('hex')}`;
    const fieldParts = Object.entries(fields).map(
      ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
    );
    const parts: Buffer[] = [Buffer.from(fieldParts.join(''))];
    for (const each of Array.isArray(file) ? file : [file]) {
      parts.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${each.field}"; filename="${each.fileName}"\r\nContent-Type: ${each.contentType}\r\n\r\n`,
        ),
        each.bytes,
        Buffer.from('\r\n'),
      );
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    return this.send('POST', path, { 'content-type': `multipart/form-data; boundary=${boundary}` }, parts);
  }

  /** One request as this member (cookies, `X-Forwarded-Proto: https`); bench/direct.ts sends its own through it. */
  send(method: string, path: string, headers: Record<string, string> = {}, body: Buffer[] = []): Promise<Reply> {
    const length = body.reduce((total, part) => total + part.length, 0);
    const { listener, timeoutMs } = observation;
    if (!listener) return this.sendOnce(method, path, headers, body, length, timeoutMs);
    const startedAt = Date.now();
    const report = (status: number) =>
      listener({ method, path: path.split('?')[0] ?? path, status, startedAt, endedAt: Date.now() });
    return this.sendOnce(method, path, headers, body, length, timeoutMs).then(
      (reply) => {
        report(reply.status);
        return reply;
      },
      (error: unknown) => {
        report(0);
        throw error;
      },
    );
  }

  private sendOnce(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Buffer[],
    length: number,
    timeoutMs: number | undefined,
  ): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        `${this.origin}${path}`,
        {
          method,
          agent,
          headers: {
            ...headers,
            'x-forwarded-proto': 'https',
            ...(this.cookies.size > 0 && {
              cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
            }),
            ...(method !== 'GET' && { 'content-length': String(length) }),
          },
        },
        (response) => {
          this.keepCookies(response.headers['set-cookie'] ?? []);
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              location: response.headers.location,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      if (timeoutMs !== undefined)
        request.setTimeout(timeoutMs, () =>
          request.destroy(new Error(`no answer to ${method} ${path} within ${timeoutMs / 1000} s`)),
        );
      request.on('error', reject);
      for (const part of body) request.write(part);
      request.end();
    });
  }

  private keepCookies(setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const equals = pair.indexOf('=');
      if (equals <= 0) continue;
      const name = pair.slice(0, equals).trim();
      const expired = attributes.some(
        (attribute) => /^\s*max-age=0\s*$/i.test(attribute) || /^\s*expires=thu, 01 jan 1970/i.test(attribute),
      );
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(equals + 1).trim());
    }
  }
}

export function closeConnections(): void {
  agent.destroy();
}

function csrfTokenIn(html: string, page: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error(`No CSRF token on ${page}: ${textOf(html)}`);
  return match[1];
}

/** The visible gist of an HTML page for an error message. */
export function textOf(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}
