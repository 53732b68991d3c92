/**
 * The one argument parser every operator command uses (node:util parseArgs): `--help` / `-h`
 * prints the usage and does nothing else; an unknown option, a missing value or a stray word
 * prints what is wrong plus the usage and exits 2. A bare `--` is ignored, so the usage text
 * works when typed literally: `npm run storage:migrate -- --dry-run -- --limit 1` hands the
 * script `--dry-run -- --limit 1`.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

/** Exit code for a command line the command does not understand (as for most Unix tools). */
export const USAGE_EXIT_CODE = 2;

export interface CliSpec<Options extends ParseArgsOptionsConfig> {
  /** The npm script, e.g. `storage:gc`. */
  name: string;
  /** What the command does, in a sentence or two. */
  summary: string;
  options: Options;
  /** One line per option, e.g. `--delete  remove what is listed (default: only list)`. */
  optionHelp: readonly string[];
}

export type ParsedValues<Options extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ options: Options; strict: true; allowPositionals: false }>
>['values'];

export interface CliOutput {
  log(text: string): void;
  error(text: string): void;
}

/** The options' values, or the exit code when the command must stop here (0 after --help, 2 on a bad line). */
export function parseCliArgs<Options extends ParseArgsOptionsConfig>(
  spec: CliSpec<Options>,
  argv: string[] = process.argv.slice(2),
  output: CliOutput = { log: console.log, error: console.error },
): { values: ParsedValues<Options> } | { exitCode: number } {
  const args = argv.filter((arg) => arg !== '--');
  const options = { ...spec.options, help: { type: 'boolean', short: 'h' } } as const;
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return { exitCode: refuseUsage(spec, error instanceof Error ? error.message : String(error), output) };
  }
  if (values.help) {
    output.log(usageText(spec));
    return { exitCode: 0 };
  }
  delete values.help;
  return { values: values as ParsedValues<Options> };
}

/** Prints `problem` and the usage to stderr; returns the exit code for a bad command line. */
export function refuseUsage(spec: CliSpec<ParseArgsOptionsConfig>, problem: string, output?: CliOutput): number {
  (output ?? { error: console.error }).error(`${problem}\n\n${usageText(spec)}`);
  return USAGE_EXIT_CODE;
}

export function usageText(spec: CliSpec<ParseArgsOptionsConfig>): string {
  const flags = Object.entries(spec.options)
    .map(([name, option]) => `[-- --${name}${option.type === 'string' ? ' N' : ''}]`)
    .join(' ');
  return [
    `Usage: npm run ${spec.name}${flags ? ` ${flags}` : ''}`,
    '',
    spec.summary,
    '',
    'Options:',
    ...spec.optionHelp.map((line) => `  ${line}`),
    '  --help, -h  print this help and do nothing else',
  ].join('\n');
}
