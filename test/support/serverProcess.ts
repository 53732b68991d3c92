/**
 * The real server (`src/server.ts`) in a child process, as Render runs it, plus a tiny
 * cookie-keeping HTTP client to act as a member against it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { captureText, recordSecret } from './logCapture.ts';
import { freePort } from './network.ts';

/**
 * Within the hooks' 60 s (vitest.config.ts), leaving time for the rest of a beforeAll. A fresh
 * embedded database (PGlite's initdb) has taken over 50 s to start on the loaded 2-core
 * machine; a hook given more time passes `readyWithinMs`.
 */
const READY_WITHIN_MS = 50_000;

export interface ServerProcess {
  origin: string;
  child: ChildProcess;
  output(): string;
  /** Sends a signal and resolves with the exit code once the process is gone. */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `node src/server.ts`, or with `shellCommand` that command line through `sh -c`, the way
 * Render runs a start command: then `child` (what stop() signals) is the shell's process.
 */
export async function startServerProcess(
  env: Record<string, string>,
  { shellCommand, readyWithinMs = READY_WITHIN_MS }: { shellCommand?: string; readyWithinMs?: number } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const [command, args] = shellCommand ? ['sh', ['-c', shellCommand]] : [process.execPath, ['src/server.ts']];
  const child = spawn(command, args, {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so SIGKILL can also reach a server the shell left behind.
    detached: shellCommand !== undefined,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.once('close', () => captureText(output));
  const origin = `http://127.0.0.1:${port}`;
  // A deadline, not a count of attempts: on the shared 2-core machine a start-up can take over
  // 30 s, and returning a server that is not listening yet made the tests that followed fail
  // as if the server had misbehaved (connections refused, or queued unanswered behind it).
  const deadline = performance.now() + readyWithinMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`);
    const ready = await fetch(`${origin}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not answer /healthz within ${readyWithinMs / 1000} s:\n${output}`);
    }
    await sleep(200);
  }
  return {
    origin,
    child,
    output: () => output,
    async stop(signal) {
      // SIGKILL is cleanup: the whole group, in case a wrapper exited and left the server running.
      if (signal === 'SIGKILL' && shellCommand !== undefined && child.pid !== undefined)
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // The group is already gone.
        }
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

/** A member's browser, reduced to cookies and forms. */
export class HttpMember {
  private cookies = new Map<string, string>();
  private readonly origin: string;

  constructor(origin: string) {
    this.origin = origin;
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', this.cookieHeader());
    const response = await fetch(`${this.origin}${path}`, { ...init, headers, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const [name, ...value] = (pair ?? '').split('=');
      if (name) this.cookies.set(name.trim(), value.join('='));
      if (name && value.length > 0) recordSecret('a session cookie', decodeURIComponent(value.join('=')));
    }
    return response;
  }

  /** The Cookie header this member sends, for raw requests made beside it. */
  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async csrfToken(path: string): Promise<string> {
    const html = await (await this.request(path)).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!token) throw new Error(`no CSRF token on ${path}`);
    return token;
  }

  async signUp(username: string): Promise<void> {
    const body = new URLSearchParams({
      _csrf: await this.csrfToken('/signup'),
      username,
      password: 'correct horse battery',
    });
    const response = await this.request('/signup', { method: 'POST', body });
    if (response.status !== 303) throw new Error(`sign-up failed: ${response.status}`);
  }

  async uploadAvatar(image: Buffer): Promise<number> {
    const form = new FormData();
    form.set('_csrf', await this.csrfToken('/profile'));
    form.set('avatar', new Blob([new Uint8Array(image)], { type: 'image/png' }), 'me.png');
    return (await this.request('/profile/avatar', { method: 'POST', body: form })).status;
  }
}
