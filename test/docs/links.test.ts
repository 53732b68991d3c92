/**
 * Every relative link in README.md and docs/*.md points at a file that exists, and a link with
 * a #fragment at a heading that exists in its target (GitHub's anchor rules: lower case, spaces
 * to hyphens, punctuation dropped). External links (http:, https:, mailto:) are not checked.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const documents = [
  'README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Markdown links outside code: [text](target), inline code and fenced blocks removed first. */
function linksIn(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '');
}

function anchorsIn(markdown: string): Set<string> {
  const headings = markdown.replace(/```[\s\S]*?```/g, '').match(/^#{1,6} .+$/gm) ?? [];
  return new Set(
    headings.map((heading) =>
      heading
        .replace(/^#+ /, '')
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

/** What is wrong with each relative link of `file` (repository-relative); empty when all resolve. */
function brokenLinks(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const broken: string[] = [];
  for (const link of linksIn(text)) {
    if (/^[a-z]+:/i.test(link)) continue;
    const [target = '', fragment] = link.split('#');
    const resolved = target === '' ? path.join(ROOT, file) : path.resolve(path.dirname(path.join(ROOT, file)), target);
    if (!fs.existsSync(resolved)) {
      broken.push(`${file}: ${link} (no such file)`);
      continue;
    }
    if (fragment && resolved.endsWith('.md') && !anchorsIn(fs.readFileSync(resolved, 'utf8')).has(fragment))
      broken.push(`${file}: ${link} (no such heading)`);
  }
  return broken;
}

describe('documentation links', () => {
  it('finds the documents and their links', () => {
    expect(documents).toContain('docs/architecture.md');
    expect(linksIn(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).length).toBeGreaterThan(5);
  });

  it.each(documents)('every relative link in %s resolves', (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  it('keeps the README a front door (at most 300 lines)', () => {
    expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n').length - 1).toBeLessThanOrEqual(300);
  });

  it('tells a broken link and a missing heading apart from good ones', () => {
    expect(linksIn('[a](x.md) `[b](y.md)` [c](https://e.com)\n```\n[d](z.md)\n```')).toEqual(['x.md', 'https://e.com']);
    expect([...anchorsIn('# Deploy to Render\n## S3-compatible providers\n### `npm run storage:check`')]).toEqual([
      'deploy-to-render',
      's3-compatible-providers',
      'npm-run-storagecheck',
    ]);
  });
});
