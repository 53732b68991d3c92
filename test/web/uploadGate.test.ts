/**
 * The upload gate (src/web/uploadGate.ts) through HTTP: slots up to the limit, a bounded wait
 * past it, a 503 with Retry-After and the sentence after that, and a client that gives up
 * while waiting leaves no place taken. The handler holds each slot until told to answer, so
 * what is in flight is exactly what the test says; every wait is bounded.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import type { Refusal } from '../../src/refusals/refusal.ts';
import { createUploadGate } from '../../src/web/uploadGate.ts';
import { captureLogs } from '../support/captureLogs.ts';
import { waitFor } from '../support/waitFor.ts';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function gatedApp(limit: number, waitMs: number) {
  const gate = createUploadGate({ limit, waitMs, logger: captureLogs().logger });
  const release: Array<() => void> = [];
  const app = express();
  app.post('/upload', gate.guard, (_req, res) => {
    release.push(() => res.status(303).end());
  });
  app.use(((error, _req, res, _next) => {
    const refusal = error as Refusal;
    res.status(refusal.status).send(refusal.message);
  }) as express.ErrorRequestHandler);
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/upload`;
  const post = (signal?: AbortSignal) =>
    fetch(url, { method: 'POST', body: 'x', signal }).then(async (response) => ({
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      text: await response.text(),
    }));
  return { gate, release, post };
}

describe('upload gate', () => {
  it('lets `limit` in, holds as many waiting, and refuses the rest at once with Retry-After', async () => {
    const { gate, release, post } = await gatedApp(2, 10_000);
    const inFlight = [post(), post()];
    await waitFor('two in flight', () => gate.inFlight() === 2);
    const waiting = [post(), post()];
    await waitFor('two waiting', () => gate.waiting() === 2);
    const refused = await post();
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('10');
    expect(refused.text).toBe(
      'Many uploads are being stored right now, so yours was not taken. Please send it again in 10 seconds.',
    );
    // Each answer frees a slot for the next in line; never more than `limit` at once.
    for (const answer of release.splice(0)) answer();
    await waitFor('the waiting ones in flight', () => release.length === 2);
    expect(gate.inFlight()).toBe(2);
    expect(gate.waiting()).toBe(0);
    for (const answer of release.splice(0)) answer();
    expect((await Promise.all([...inFlight, ...waiting])).map((answer) => answer.status)).toEqual([303, 303, 303, 303]);
    await waitFor('every slot back', () => gate.inFlight() === 0);
  });

  it('refuses a waiting upload when its wait is over, and forgets one whose client gave up', async () => {
    const { gate, release, post } = await gatedApp(1, 300);
    const held = post();
    await waitFor('one in flight', () => gate.inFlight() === 1);
    const started = performance.now();
    const timedOut = await post();
    expect(timedOut.status).toBe(503);
    expect(timedOut.retryAfter).toBe('5');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);

    const abandoned = post(AbortSignal.timeout(100)).catch(() => 'aborted');
    await waitFor('one waiting', () => gate.waiting() === 1);
    expect(await abandoned).toBe('aborted');
    await waitFor('the abandoned place freed', () => gate.waiting() === 0);
    release.splice(0)[0]!();
    expect((await held).status).toBe(303);
    await waitFor('the slot back', () => gate.inFlight() === 0);
  });

  it('with no wait allowed refuses at once', async () => {
    const { gate, release, post } = await gatedApp(1, 0);
    const held = post();
    await waitFor('one in flight', () => gate.inFlight() === 1);
    expect((await post()).status).toBe(503);
    expect(gate.waiting()).toBe(0);
    release.splice(0)[0]!();
    expect((await held).status).toBe(303);
  });
});
