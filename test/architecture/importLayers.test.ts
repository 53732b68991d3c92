/**
 * The layers of docs/architecture.md, enforced in `npm test`: folders of src/ import one way only,
 * no file circles, and storage/ (bytes only) reaches neither the database nor a feature. The
 * rules themselves are checked on small made-up graphs too, so a rule that silently stopped
 * finding anything would fail here rather than pass everything.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLayers, readImportGraph, type Graph } from './importGraph.ts';

const SRC = path.resolve(import.meta.dirname, '../../src');

const graphOf = (edges: Record<string, string[]>): Graph =>
  new Map(Object.entries(edges).map(([file, targets]) => [file, new Set(targets)]));

describe('import layers of src/', () => {
  const graph = readImportGraph(SRC);

  it('reads the real source (and sees its imports)', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('app.ts')).toContain('routes/routeTable.ts');
  });

  it('has no folders that import each other, directly or round a loop', () => {
    expect(checkLayers(graph).folderCircles).toEqual([]);
  });

  it('has no file circles', () => {
    expect(checkLayers(graph).fileCircles).toEqual([]);
  });

  it('keeps storage/ to bytes: it imports only storage, config, the logger and the request context', () => {
    expect(checkLayers(graph).byteLayerImports).toEqual([]);
  });
});

describe('the layer rules themselves', () => {
  it('find two folders importing each other, and a longer loop of folders', () => {
    const pair = graphOf({ 'a/x.ts': ['b/y.ts'], 'b/y.ts': [], 'b/z.ts': ['a/w.ts'], 'a/w.ts': [] });
    expect(checkLayers(pair).folderCircles).toEqual([['a', 'b']]);
    expect(checkLayers(pair).fileCircles).toEqual([]);
    const loop = graphOf({ 'a/1.ts': ['b/1.ts'], 'b/1.ts': ['c/1.ts'], 'c/1.ts': ['a/2.ts'], 'a/2.ts': [] });
    expect(checkLayers(loop).folderCircles).toEqual([['a', 'b', 'c']]);
  });

  it('find a file circle, and count a top-level file as its own folder', () => {
    const report = checkLayers(graphOf({ 'config.ts': ['config/s3.ts'], 'config/s3.ts': ['config.ts'] }));
    expect(report.fileCircles).toEqual([['config.ts', 'config/s3.ts']]);
    expect(report.folderCircles).toEqual([['config', 'config.ts']]);
  });

  it('find storage/ reaching the database or a feature, and allow what it may use', () => {
    const report = checkLayers(
      graphOf({
        'storage/a.ts': ['db/database.ts', 'videos/x.ts', 'config.ts', 'logger.ts', 'storage/b.ts'],
        'storage/b.ts': ['config/env.ts', 'requestContext.ts'],
      }),
    );
    expect(report.byteLayerImports).toEqual(['storage/a.ts -> db/database.ts', 'storage/a.ts -> videos/x.ts']);
  });
});
