/**
 * The upload load generator, in its own process so its CPU is not charged to the app or the
 * benchmark. It keeps members (sessions) between requests and answers one JSON request line
 * at a time:
 *   { cmd: 'signUp', origin, count }                     → members on the app
 *   { cmd: 'avatars', target, files, uploads, concurrency } → uploads/s and each latency
 *   { cmd: 'video', target, file }                       → seconds for one large upload
 *   { cmd: 'linkVideos', count, files, concurrency }     → linked videos with thumbnails, to fill pages
 * `target` is 'app' (the real routes, as signed-in members) or a URL of a competing server's
 * upload endpoint, which has no sessions.
 */
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { serveRequests } from '../support/childScript.ts';
import { closeConnections, HttpMember, textOf, type Reply } from '../support/httpMember.ts';
import { runPool } from '../support/pool.ts';

const members: HttpMember[] = [];
const fileCache = new Map<string, Buffer>();
const bytesOf = async (file: string) => fileCache.get(file) ?? fileCache.set(file, await readFile(file)).get(file)!;

function expectStatus(reply: Reply, status: number, what: string): void {
  if (reply.status !== status) throw new Error(`${what} answered ${reply.status}: ${textOf(reply.body)}`);
}

async function signUp(origin: string, count: number): Promise<{ members: number }> {
  const prefix = randomBytes(3).toString('hex');
  const result = await runPool(count, 4, async (index) => {
    members[index] = await HttpMember.signUp(origin, `load-${prefix}-${index}`);
  });
  if (result.failures.length > 0) throw new Error(`sign-ups failed: ${result.failures[0]}`);
  return { members: members.length };
}

async function uploadAvatar(target: string, worker: number, file: string): Promise<void> {
  const bytes = await bytesOf(file);
  if (target === 'app') return members[worker % members.length]!.uploadAvatar(path.basename(file), bytes);
  const url = new URL(target);
  const reply = await HttpMember.visitor(url.origin).postForm(
    url.pathname,
    {},
    { field: 'avatar', fileName: path.basename(file), contentType: 'image/jpeg', bytes },
  );
  expectStatus(reply, 201, `POST ${url.pathname}`);
}

async function avatars(request: { target: string; files: string[]; uploads: number; concurrency: number }) {
  const latenciesMs: number[] = [];
  const result = await runPool(request.uploads, request.concurrency, async (index, worker) => {
    const started = performance.now();
    await uploadAvatar(request.target, worker, request.files[index % request.files.length]!);
    latenciesMs.push(performance.now() - started);
  });
  if (result.failures.length > 0)
    throw new Error(
      `${result.failures.length} of ${request.uploads} uploads to ${request.target} failed; first: ${result.failures[0]}`,
    );
  return { perSecond: result.perSecond, latenciesMs };
}

async function video(request: { target: string; file: string }) {
  const bytes = await bytesOf(request.file);
  const started = performance.now();
  const file = { field: 'video', fileName: 'clip.mp4', contentType: 'video/mp4', bytes };
  if (request.target === 'app') {
    const member = members[0]!;
    const reply = await member.postForm(
      '/videos',
      { _csrf: member.csrfToken, title: 'Benchmark clip', description: '', url: '' },
      file,
    );
    expectStatus(reply, 303, 'POST /videos');
  } else {
    const url = new URL(request.target);
    expectStatus(await HttpMember.visitor(url.origin).postForm(url.pathname, {}, file), 201, `POST ${url.pathname}`);
  }
  return { seconds: (performance.now() - started) / 1000, bytes: bytes.length };
}

async function linkVideos(request: { count: number; files: string[]; concurrency: number }) {
  const result = await runPool(request.count, request.concurrency, async (index, worker) => {
    const member = members[worker % members.length]!;
    const file = request.files[index % request.files.length]!;
    const fields = {
      _csrf: member.csrfToken,
      title: `Benchmark video ${index + 1}`,
      description: '',
      url: `https://videos.example.com/watch/${index + 1}`,
    };
    const reply = await member.postForm('/videos', fields, {
      field: 'thumbnail',
      fileName: path.basename(file),
      contentType: 'image/jpeg',
      bytes: await bytesOf(file),
    });
    expectStatus(reply, 303, 'POST /videos');
  });
  if (result.failures.length > 0)
    throw new Error(`${result.failures.length} of ${request.count} videos failed; first: ${result.failures[0]}`);
  return { videos: result.done };
}

serveRequests({ pid: process.pid }, async (request) => {
  // Kept-alive sockets idle since the last batch may be closing on the server's side right now
  // (its keep-alive timeout); reusing one would fail a request for reasons that are not the server's.
  closeConnections();
  switch (request.cmd) {
    case 'signUp':
      return signUp(String(request.origin), Number(request.count));
    case 'avatars':
      return avatars(request as unknown as Parameters<typeof avatars>[0]);
    case 'video':
      return video(request as unknown as Parameters<typeof video>[0]);
    case 'linkVideos':
      return linkVideos(request as unknown as Parameters<typeof linkVideos>[0]);
    default:
      throw new Error(`unknown command ${String(request.cmd)}`);
  }
});
