/** The shared CLI parser: help, refusals with exit 2, and the literal `--` of the usage text. */
import { describe, expect, it } from 'vitest';
import { parseCliArgs, usageText } from '../../src/cli/parseCliArgs.ts';

const SPEC = {
  name: 'storage:migrate',
  summary: 'Moves files.',
  options: { 'dry-run': { type: 'boolean', default: false }, limit: { type: 'string' } },
  optionHelp: ['--dry-run   change nothing', '--limit N   at most N'],
} as const;

function parse(argv: string[]) {
  const printed = { log: [] as string[], error: [] as string[] };
  const result = parseCliArgs(SPEC, argv, {
    log: (text) => printed.log.push(text),
    error: (text) => printed.error.push(text),
  });
  return { result, printed };
}

describe('parseCliArgs', () => {
  it('reads the options, ignoring each bare -- that npm run passes through', () => {
    expect(parse([]).result).toEqual({ values: { 'dry-run': false } });
    expect(parse(['--', '--dry-run', '--', '--limit', '1']).result).toEqual({
      values: { 'dry-run': true, limit: '1' },
    });
    expect(parse(['--limit=5']).result).toEqual({ values: { 'dry-run': false, limit: '5' } });
  });

  it('--help and -h print the usage on stdout and stop with 0, whatever else is on the line', () => {
    for (const argv of [['--help'], ['-h'], ['--', '--dry-run', '--', '--help']]) {
      const { result, printed } = parse(argv);
      expect(result).toEqual({ exitCode: 0 });
      expect(printed.log).toEqual([usageText(SPEC)]);
      expect(printed.error).toEqual([]);
    }
    expect(usageText(SPEC)).toMatch(/^Usage: npm run storage:migrate \[-- --dry-run\] \[-- --limit N\]\n/);
    expect(usageText(SPEC)).toContain('--help, -h');
  });

  it('refuses unknown options, missing values and stray words with the reason and the usage, exit 2', () => {
    for (const [argv, reason] of [
      [['--dryrun'], "Unknown option '--dryrun'"],
      [['--limit'], "Option '--limit <value>' argument missing"],
      [['everything'], "Unexpected argument 'everything'"],
    ] as const) {
      const { result, printed } = parse([...argv]);
      expect(result).toEqual({ exitCode: 2 });
      expect(printed.error).toHaveLength(1);
      expect(printed.error[0]).toContain(reason);
      expect(printed.error[0]).toContain('Usage: npm run storage:migrate');
    }
  });
});
