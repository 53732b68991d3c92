/** The one table `npm run bench` prints: a section per benchmark, a row per compared figure. */
import { fixed, spread } from '../support/stats.ts';
import { meetsTarget, type BenchmarkResult, type Target } from './suiteContext.ts';

const targetText = (target: Target) => ('atLeast' in target ? `≥ ${target.atLeast}` : `≤ ${target.atMost}`);

function pad(cells: string[], widths: number[]): string {
  return cells
    .map((cell, i) => cell.padEnd(widths[i]!))
    .join('  ')
    .trimEnd();
}

export function formatSuiteTable(title: string, results: BenchmarkResult[], footer: string[]): string {
  const header = ['figure', 'VideoVote', 'baseline', 'ratio', 'spread', 'target'];
  const lines: string[][] = [];
  const sections: Array<{ heading: string; from: number; to: number }> = [];
  for (const result of results) {
    const from = lines.length;
    for (const row of result.rows) {
      const verdict = row.target
        ? `${targetText(row.target)}: ${meetsTarget(row.ratio.median, row.target) ? 'met' : 'MISSED'}`
        : (row.note ?? '');
      lines.push([`  ${row.figure}`, row.ours, row.baseline, fixed(row.ratio.median), spread(row.ratio), verdict]);
    }
    sections.push({ heading: `${result.name} (${result.setting})`, from, to: lines.length });
  }
  const widths = header.map((cell, i) => Math.max(cell.length, ...lines.map((line) => line[i]!.length)));
  const out = [title, pad(header, widths)];
  for (const section of sections) {
    out.push(section.heading);
    for (const line of lines.slice(section.from, section.to)) out.push(pad(line, widths));
  }
  out.push('', ...footer);
  return out.join('\n');
}
