/**
 * Refusals every client can read (issue #14): the app answers an upload early (declared size
 * over the limit, not logged in, bad CSRF token, daily quota), then reads and discards the rest
 * of the body within bounds (src/web/lingeringClose.ts). curl, Node's fetch, Python's urllib
 * and Chromium each send a body just over the limit and one of 100 MB, and must read the
 * status and the sentence; a client that trickles is cut off at the time bound, and one that
 * floods past the byte bound is cut off there. The app's memory and time stay bounded.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSRF_REFILLED_MESSAGE } from '../../src/web/csrf.ts';
import { browserMissing, CHROMIUM_PATH, launchChromium } from '../support/browser.ts';
import { listenOnLoopback } from '../support/listen.ts';
import {
  type AvatarUpload,
  type ClientOutcome,
  trickleUpload,
  uploadWithCurl,
  uploadWithFetch,
  uploadWithPython,
} from '../support/refusalClients.ts';
import { HttpMember, type ServerProcess, startServerProcess } from '../support/serverProcess.ts';
import { createTestApp, type TestApp } from '../support/testApp.ts';

/** A fresh embedded database has taken over 50 s to start on the loaded 2-core CI machine. */
const SERVER_START_MS = 100_000;
const MIB = 1024 * 1024;
const TOO_LARGE = 'That file is too large. Images can be at most 1 MB.';
const JUST_OVER = MIB + 65 * 1024;
const HUGE = 100 * MIB;

type Client = (upload: AvatarUpload) => Promise<ClientOutcome>;
const CLIENTS: [string, Client][] = [
  ['curl', uploadWithCurl],
  ['Node fetch (undici)', uploadWithFetch],
  ['Python urllib', uploadWithPython],
];

async function member(origin: string, name: string): Promise<{ cookie: string; csrf: string }> {
  const someone = new HttpMember(origin);
  await someone.signUp(name);
  return { cookie: someone.cookieHeader(), csrf: await someone.csrfToken('/profile') };
}

describe('refusals every client can read', () => {
  let testApp: TestApp;
  let server: Awaited<ReturnType<typeof listenOnLoopback>>;
  let uploader: { cookie: string; csrf: string };
  let spent: { cookie: string; csrf: string };
  let avatarUrl: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    testApp = await createTestApp({
      extraEnv: { MAX_IMAGE_SIZE_MB: '1', UPLOADS_PER_MINUTE: '10000', DAILY_UPLOAD_MB: '50' },
    });
    server = await listenOnLoopback(testApp.app);
    avatarUrl = `${server.origin}/profile/avatar`;
    uploader = await member(server.origin, 'uploader');
    spent = await member(server.origin, 'spender');
    // The quota is counted in the ledger; this member has used all of today's.
    const row = await testApp.db
      .selectFrom('users')
      .select('id')
      .where('username', '=', 'spender')
      .executeTakeFirstOrThrow();
    await testApp.db
      .insertInto('upload_ledger')
      .values({ member_id: row.id, bytes: 50 * MIB })
      .execute();
    if (!browserMissing) browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await testApp?.close();
  });

  const cases: [string, () => AvatarUpload, number, string][] = [
    [
      '413 for a body just over the limit',
      () => ({ url: avatarUrl, ...uploader, fileBytes: JUST_OVER }),
      413,
      TOO_LARGE,
    ],
    ['413 for a 100 MB body', () => ({ url: avatarUrl, ...uploader, fileBytes: HUGE }), 413, TOO_LARGE],
    [
      '401 for a 100 MB body from someone not logged in',
      () => ({ url: avatarUrl, cookie: '', csrf: 'none', fileBytes: HUGE }),
      401,
      'Please log in first.',
    ],
    [
      '403 for a bad CSRF token',
      () => ({ url: avatarUrl, ...uploader, csrf: 'forged', fileBytes: MIB / 2 }),
      403,
      // Issue #12: a form with a stale token comes back (fresh token, typed text kept) with this sentence.
      CSRF_REFILLED_MESSAGE,
    ],
    [
      '429 for a 100 MB body past the daily quota',
      () => ({ url: avatarUrl, ...spent, fileBytes: HUGE }),
      429,
      'You have reached your daily upload limit',
    ],
  ];

  for (const [clientName, send] of CLIENTS) {
    it.each(cases)(`${clientName}: %s, with the sentence`, async (_name, upload, status, sentence) => {
      const outcome = await send(upload());
      expect(outcome.error).toBeUndefined();
      expect(outcome.status).toBe(status);
      expect(outcome.text).toContain(sentence);
      // 100 MB over loopback takes a second or two on a busy machine; a lingering bug shows as 30 s or more.
      expect(outcome.elapsedMs).toBeLessThan(20_000);
    });
  }

  describe.skipIf(browserMissing)(`in Chromium (${CHROMIUM_PATH})`, () => {
    it.each([
      ['just over the limit', JUST_OVER],
      ['of 100 MB', HUGE],
    ])('reads the 413 and the sentence for an avatar %s', async (_name, fileBytes) => {
      const context = await (browser as Browser).newContext();
      const [name, ...value] = uploader.cookie.split('=');
      await context.addCookies([{ name: name!, value: value.join('='), url: server.origin }]);
      const page = await context.newPage();
      await page.goto(`${server.origin}/profile`);
      const outcome = await page.evaluate(
        async ({ csrf, size }) => {
          const form = new FormData();
          form.set('_csrf', csrf);
          form.set('avatar', new Blob([new Uint8Array(size)], { type: 'image/png' }), 'big.png');
          try {
            const response = await fetch('/profile/avatar', {
              method: 'POST',
              body: form,
              headers: { Accept: 'text/html' },
            });
            return { status: response.status, text: await response.text() };
          } catch (error) {
            return { error: String(error) };
          }
        },
        { csrf: uploader.csrf, size: fileBytes },
      );
      expect(outcome).toMatchObject({ status: 413 });
      expect((outcome as { text: string }).text).toContain(TOO_LARGE);
      await context.close();
    });
  });
});

describe('the real server (src/server.ts) refusing 100 MB bodies', () => {
  let workDir: string;
  let app: ServerProcess;
  beforeAll(async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-linger-'));
    app = await startServerProcess(
      {
        DATA_DIR: path.join(workDir, 'data'),
        LOCAL_STORAGE_DIR: path.join(workDir, 'static'),
        UPLOAD_TEMP_DIR: path.join(workDir, 'tmp'),
        MAX_IMAGE_SIZE_MB: '1',
        UPLOADS_PER_MINUTE: '1000',
        LOG_LEVEL: 'warn',
      },
      { readyWithinMs: SERVER_START_MS },
    );
  }, SERVER_START_MS + 10_000);
  afterAll(async () => {
    await app?.stop('SIGTERM');
    await fs.rm(workDir, { recursive: true, force: true });
  });

  it('reads and discards them without keeping them: peak RSS and time per refusal stay bounded', async () => {
    const uploader = await member(app.origin, 'rss-watcher');
    const upload = { url: `${app.origin}/profile/avatar`, ...uploader, fileBytes: HUGE };
    // Warm up once (first request compiles templates and routes), then measure from a fresh peak.
    expect((await uploadWithPython(upload)).status).toBe(413);
    const rssAtStart = await rssOf(app.child.pid!);
    await resetPeakRss(app.child.pid!);
    const times: number[] = [];
    for (const send of [uploadWithPython, uploadWithFetch, uploadWithPython, uploadWithCurl, uploadWithPython]) {
      const outcome = await send(upload);
      expect(outcome).toMatchObject({ status: 413 });
      times.push(Math.round(outcome.elapsedMs));
    }
    const peak = await peakRssOf(app.child.pid!);
    process.stderr.write(
      `[lingering close] 5 × 100 MB refused: RSS ${Math.round(rssAtStart / MIB)} MiB at start, peak ${Math.round(peak / MIB)} MiB; times ${times.join(', ')} ms\n`,
    );
    // Keeping one refused body, even for a moment, would add 100 MiB (HUGE) to the peak, so any
    // bound under that proves none is kept. Below it sits garbage not yet collected: each 64 KiB
    // chunk read and dropped lives outside V8's heap, and V8 starts a collection for such
    // external memory only once it has grown by about 64 MiB since the last one; when the
    // process is starved of CPU, large bursts are read between collections and the peak nears
    // that (58 MiB measured under load, over the 48 MiB the bound once was). 84 MiB is that
    // 64 MiB plus 20 MiB for heap and allocator slack, still 16 MiB short of one kept body.
    expect(peak - rssAtStart).toBeLessThan(84 * MIB);
    expect(Math.max(...times)).toBeLessThan(20_000);
  });
});

/** Resident memory of a process now, and its peak since the last reset (Linux /proc). */
async function rssOf(pid: number): Promise<number> {
  return statusField(pid, 'VmRSS');
}
async function peakRssOf(pid: number): Promise<number> {
  return statusField(pid, 'VmHWM');
}
async function resetPeakRss(pid: number): Promise<void> {
  // Writing 5 to clear_refs resets VmHWM to the current RSS.
  await fs.writeFile(`/proc/${pid}/clear_refs`, '5');
}
async function statusField(pid: number, field: string): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kib = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
  if (!kib) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(kib) * 1024;
}

describe('lingering close bounds', () => {
  let testApp: TestApp;
  let server: Awaited<ReturnType<typeof listenOnLoopback>>;
  let upload: (fileBytes: number) => AvatarUpload;

  beforeAll(async () => {
    testApp = await createTestApp({
      extraEnv: { MAX_IMAGE_SIZE_MB: '1', REFUSED_BODY_LINGER_SECONDS: '3', REFUSED_BODY_LINGER_MB: '8' },
    });
    server = await listenOnLoopback(testApp.app);
    const uploader = await member(server.origin, 'trickler');
    upload = (fileBytes) => ({ url: `${server.origin}/profile/avatar`, ...uploader, fileBytes });
  });
  afterAll(async () => {
    await server?.close();
    await testApp?.close();
  });

  it('answers a slow sender at once, then closes at the time bound (3 s)', async () => {
    const outcome = await trickleUpload(upload(50 * MIB), { chunkBytes: 8 * 1024, everyMs: 100, giveUpMs: 20_000 });
    expect(outcome.received).toMatch(/^HTTP\/1\.1 413 /);
    expect(outcome.received).toContain(TOO_LARGE);
    expect(outcome.answeredMs).toBeLessThan(2_000);
    expect(outcome.closedMs).toBeGreaterThan(2_500);
    expect(outcome.closedMs).toBeLessThan(8_000);
  });

  it('answers an oversized plain form at once instead of reading it all first, then closes at the byte bound', async () => {
    const login = { ...upload(100 * MIB), url: `${server.origin}/login` };
    const outcome = await trickleUpload(login, {
      chunkBytes: 64 * 1024,
      everyMs: 0,
      giveUpMs: 20_000,
      plainForm: true,
    });
    expect(outcome.received).toMatch(/^HTTP\/1\.1 413 /);
    expect(outcome.received).toContain('That form is too large.');
    expect(outcome.answeredMs).toBeLessThan(2_000);
    expect(outcome.sentBytes).toBeLessThan(40 * MIB);
  });

  it('closes a sender that goes on past the byte bound (8 MB) well before it is done', async () => {
    const outcome = await trickleUpload(upload(500 * MIB), { chunkBytes: 64 * 1024, everyMs: 0, giveUpMs: 20_000 });
    expect(outcome.received).toMatch(/^HTTP\/1\.1 413 /);
    // Kernel buffers on both sides hold a few MB more than the server read.
    expect(outcome.sentBytes).toBeLessThan(40 * MIB);
    expect(outcome.closedMs).toBeLessThan(2_500);
  });
});
