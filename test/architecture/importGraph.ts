/**
 * The import graph of src/, read from the source text (relative imports only: packages are
 * not layers), and the three rules of docs/architecture.md, "Layers":
 *   1. no two folders of src/ import each other, directly or round a loop (a file at the top
 *      of src/ counts as a folder of its own);
 *   2. no file circles;
 *   3. src/storage/ (bytes only) imports nothing but itself, config, the logger and the
 *      request context.
 */
import fs from 'node:fs';
import path from 'node:path';

export const BYTE_LAYER = 'storage';
export const ALLOWED_FOR_BYTE_LAYER: ReadonlySet<string> = new Set([
  'storage',
  'config',
  'config.ts',
  'logger.ts',
  'requestContext.ts',
]);

export type Graph = Map<string, Set<string>>;

const IMPORT =
  /(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\s*\(\s*['"](\.[^'"]+)['"]\s*\)|import\s+['"](\.[^'"]+)['"]/g;

/** Files (paths relative to `srcDir`) mapped to the files they import. */
export function readImportGraph(srcDir: string): Graph {
  const files: string[] = [];
  (function walk(dir: string) {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(full);
    }
  })(srcDir);
  const known = new Set(files);
  const resolve = (from: string, spec: string) => {
    const base = path.resolve(path.dirname(from), spec);
    return [base, base.replace(/\.m?js$/, '.ts'), `${base}.ts`, path.join(base, 'index.ts')].find((c) => known.has(c));
  };
  const graph: Graph = new Map();
  for (const file of files) {
    const targets = new Set<string>();
    for (const match of fs.readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = resolve(file, match[1] ?? match[2] ?? match[3] ?? '');
      if (target && target !== file) targets.add(path.relative(srcDir, target));
    }
    graph.set(path.relative(srcDir, file), targets);
  }
  return graph;
}

/** The folder a file belongs to; a file at the top of src/ stands for itself. */
export const folderOf = (file: string): string => file.split(/[\\/]/)[0] ?? file;

/** Strongly connected components with more than one member (Tarjan): every circle, each sorted. */
export function circles(graph: Graph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

export interface LayerReport {
  folderCircles: string[][];
  fileCircles: string[][];
  /** "storage/x.ts -> db/y.ts" for each import out of the byte layer that the rules forbid. */
  byteLayerImports: string[];
}

export function checkLayers(graph: Graph): LayerReport {
  const folders: Graph = new Map();
  const byteLayerImports: string[] = [];
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    if (!folders.has(from)) folders.set(from, new Set());
    for (const target of targets) {
      const to = folderOf(target);
      if (to !== from) folders.get(from)!.add(to);
      if (from === BYTE_LAYER && !ALLOWED_FOR_BYTE_LAYER.has(to)) byteLayerImports.push(`${file} -> ${target}`);
    }
  }
  return { folderCircles: circles(folders), fileCircles: circles(graph), byteLayerImports };
}
