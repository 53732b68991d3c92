/**
 * The development loop: with NODE_ENV=development an edited template shows on the next
 * render, with no restart; production compiles each template once and keeps it.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { configureViews } from '../../src/views/configureViews.ts';

let viewsDir: string;
beforeAll(async () => {
  viewsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vv-views-'));
});
afterAll(async () => fs.rm(viewsDir, { recursive: true, force: true }));

async function renderBeforeAndAfterEdit(nodeEnv: string): Promise<[string, string]> {
  const page = `page-${nodeEnv}.njk`;
  await fs.writeFile(path.join(viewsDir, page), '<h1>{{ title }} — first draft</h1>');
  const appEnv = loadConfig({ NODE_ENV: nodeEnv, SESSION_SECRET: 'x'.repeat(40), ALLOW_EMBEDDED_DATABASE: 'true' }).env;
  const env = configureViews(express(), { viewsDir, imageStorage: { getImageUrl: () => '/x.png' }, appEnv });
  const before = env.render(page, { title: 'VideoVote' });
  await fs.writeFile(path.join(viewsDir, page), '<h1>{{ title }} — edited</h1>');
  return [before, env.render(page, { title: 'VideoVote' })];
}

describe('templates', () => {
  it('in development, an edited template shows on the next render', async () => {
    const [before, after] = await renderBeforeAndAfterEdit('development');
    expect(before).toBe('<h1>VideoVote — first draft</h1>');
    expect(after).toBe('<h1>VideoVote — edited</h1>');
  });

  it('in production, a template is compiled once and kept', async () => {
    const [before, after] = await renderBeforeAndAfterEdit('production');
    expect(before).toBe('<h1>VideoVote — first draft</h1>');
    expect(after).toBe(before);
  });
});
