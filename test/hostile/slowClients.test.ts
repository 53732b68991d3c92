/**
 * Slow clients against the real server (src/server.ts, as Render runs it), with its timeouts
 * shortened through the environment: a body that goes quiet is cut at the idle timeout, headers
 * trickled without a pause at the header timeout, a steady body at the request timeout — and an
 * upload that is slow but never quiet still gets its answer. Node's defaults took 305 s to give
 * up on a body sent one byte every 4 s.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startServerProcess } from '../support/serverProcess.ts';

interface SlowOutcome {
  received: string;
  closedMs: number;
  sentBytes: number;
}

/** Writes `head` at once, then `pieces` one every `everyMs`, and reports when the server closed (or `giveUpMs`). */
function sendSlowly(
  origin: string,
  { head, pieces, everyMs, giveUpMs }: { head: string; pieces: string[]; everyMs: number; giveUpMs: number },
): Promise<SlowOutcome> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    const started = performance.now();
    let received = '';
    let sentBytes = 0;
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    socket.on('data', (data: Buffer) => (received += data.toString()));
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      clearTimeout(giveUp);
      resolve({ received, closedMs: performance.now() - started, sentBytes });
    });
    socket.once('connect', () => {
      socket.write(head);
      const next = (index: number) => {
        if (socket.destroyed || index >= pieces.length) return;
        socket.write(pieces[index]!);
        sentBytes += pieces[index]!.length;
        timer = setTimeout(() => next(index + 1), everyMs);
      };
      timer = setTimeout(() => next(0), everyMs);
    });
  });
}

const formHead = (origin: string, length: number) =>
  `POST /login HTTP/1.1\r\nHost: ${new URL(origin).host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`;

describe('slow clients against the real server', () => {
  let workDir: string;
  let app: ServerProcess;
  beforeAll(async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-slow-'));
    app = await startServerProcess({
      DATA_DIR: path.join(workDir, 'data'),
      LOCAL_STORAGE_DIR: path.join(workDir, 'static'),
      UPLOAD_TEMP_DIR: path.join(workDir, 'tmp'),
      REQUEST_IDLE_TIMEOUT_SECONDS: '2',
      HEADERS_TIMEOUT_SECONDS: '3',
      REQUEST_TIMEOUT_SECONDS: '6',
      LOG_LEVEL: 'warn',
    });
  });
  afterAll(async () => {
    await app?.stop('SIGTERM');
    await fs.rm(workDir, { recursive: true, force: true });
  });

  it('cuts a body sent one byte every 4 s at the idle timeout (2 s), not after 5 minutes', async () => {
    const outcome = await sendSlowly(app.origin, {
      head: formHead(app.origin, 100),
      pieces: Array.from({ length: 100 }, () => 'a'),
      everyMs: 4_000,
      giveUpMs: 20_000,
    });
    expect(outcome.closedMs).toBeGreaterThan(1_500);
    expect(outcome.closedMs).toBeLessThan(4_000);
    expect(outcome.sentBytes).toBe(0);
  });

  it('answers 408 to headers trickled without a pause, at the header timeout (3 s)', async () => {
    const request = `GET / HTTP/1.1\r\nHost: ${new URL(app.origin).host}\r\n${'X-Slow: loris\r\n'.repeat(40)}\r\n`;
    const outcome = await sendSlowly(app.origin, {
      head: '',
      pieces: request.split(''),
      everyMs: 500,
      giveUpMs: 20_000,
    });
    expect(outcome.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(outcome.closedMs).toBeGreaterThan(2_500);
    expect(outcome.closedMs).toBeLessThan(6_000);
  });

  it('answers 408 to a body that never pauses for long but takes longer than the request timeout (6 s)', async () => {
    const outcome = await sendSlowly(app.origin, {
      head: formHead(app.origin, 1_000),
      pieces: Array.from({ length: 1_000 }, () => 'a'),
      everyMs: 500,
      giveUpMs: 20_000,
    });
    expect(outcome.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(outcome.closedMs).toBeGreaterThan(5_500);
    expect(outcome.closedMs).toBeLessThan(10_000);
  });

  it('lets a slow upload that never goes quiet finish past the idle timeout, and answers it', async () => {
    const body = `username=slow&password=${'p'.repeat(30)}`;
    const outcome = await sendSlowly(app.origin, {
      head: formHead(app.origin, body.length),
      // 4.5 s in all, more than twice the idle timeout, one piece every 0.5 s.
      pieces: body.match(/.{1,5}/g) ?? [],
      everyMs: 500,
      giveUpMs: 20_000,
    });
    expect(outcome.sentBytes).toBe(body.length);
    // Any answer of the app's (here the missing CSRF token), not a cut connection.
    expect(outcome.received).toMatch(/^HTTP\/1\.1 403 /);
  });
});
