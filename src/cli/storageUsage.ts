/**
 * `npm run storage:usage [-- --json]`: objects and bytes per folder in the primary bucket, the
 * backup bucket and on local disk, the bytes waiting on local disk for S3, and this month's
 * estimated S3 bill from those bytes and the requests the app recorded. Read-only.
 */
import { DEFAULT_PRICES, measureStorageUsage, type PlaceUsage, type UsageReport } from '../files/storageUsage.ts';
import { formatBytes } from './formatBytes.ts';
import { parseCliArgs, refuseUsage } from './parseCliArgs.ts';
import { countedAdaptersFor } from './countedAdapters.ts';
import { loadConfigOrReport, runCommand, withDatabase } from './runCommand.ts';

const CLI = {
  name: 'storage:usage',
  summary:
    "Objects and bytes per folder in the primary bucket, the backup bucket and on local disk, bytes held on local disk for S3, and this month's estimated S3 cost from the bytes and the requests the app recorded.",
  options: {
    json: { type: 'boolean' },
    'price-gb-month': { type: 'string' },
    'price-1000-puts': { type: 'string' },
    'price-1000-gets': { type: 'string' },
  },
  optionHelp: [
    '--json                 print the report as JSON, for scripts',
    `--price-gb-month X     dollars per GB-month stored (default ${DEFAULT_PRICES.perGbMonth}, S3 Standard)`,
    `--price-1000-puts X    dollars per 1,000 PUT/COPY/POST/LIST requests (default ${DEFAULT_PRICES.perThousandPuts})`,
    `--price-1000-gets X    dollars per 1,000 GET/HEAD requests (default ${DEFAULT_PRICES.perThousandGets})`,
  ],
} as const;

async function main(): Promise<number> {
  const parsed = parseCliArgs(CLI);
  if ('exitCode' in parsed) return parsed.exitCode;
  const args = parsed.values;
  const prices = { ...DEFAULT_PRICES };
  for (const [option, field] of [
    ['price-gb-month', 'perGbMonth'],
    ['price-1000-puts', 'perThousandPuts'],
    ['price-1000-gets', 'perThousandGets'],
  ] as const) {
    const text = args[option];
    if (text === undefined) continue;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value < 0)
      return refuseUsage(CLI, `--${option} must be a number of dollars, 0 or more (got "${text}")`);
    prices[field] = value;
  }
  const config = loadConfigOrReport();
  if (!config) return 1;
  return withDatabase(config, async (db) => {
    const { s3, local, backup } = countedAdaptersFor(config, db);
    const report = await measureStorageUsage({ db, primary: s3, backup, local }, { prices });
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else
      printReport(report, {
        bucket: config.s3?.bucket,
        backupBucket: config.s3?.backup?.bucket,
        localDir: config.localStorageDir,
      });
    return 0;
  });
}

function printPlace(title: string, usage: PlaceUsage): void {
  console.log(`${title}: ${usage.objects} object(s), ${formatBytes(usage.bytes)}`);
  for (const [folder, tally] of Object.entries(usage.byFolder))
    console.log(
      `  ${`${folder}/`.padEnd(12)} ${String(tally.objects).padStart(8)}  ${formatBytes(tally.bytes).padStart(9)}`,
    );
}

function printReport(report: UsageReport, names: { bucket?: string; backupBucket?: string; localDir: string }): void {
  if (report.primary) printPlace(`Primary bucket "${names.bucket}"`, report.primary);
  if (report.backup) printPlace(`Backup bucket "${names.backupBucket}"`, report.backup);
  printPlace(`Local disk (${names.localDir})`, report.local);
  console.log(
    `Fallback: ${report.fallback.files} file(s), ${formatBytes(report.fallback.bytes)} on local disk waiting for S3.`,
  );
  const { primary, backup } = report.requests;
  console.log(
    `Requests the app made in ${report.month}: primary ${primary.puts} PUT, ${primary.lists} LIST, ${primary.gets} GET/HEAD; backup ${backup.puts} PUT, ${backup.lists} LIST, ${backup.gets} GET/HEAD.`,
  );
  const { cost } = report;
  const dollars = (value: number) => `$${value.toFixed(4)}`;
  console.log(
    `Estimated S3 cost for ${report.month}: ${dollars(cost.total)} = storage ${dollars(cost.storage)} ($${cost.prices.perGbMonth}/GB-month) + PUT-class ${dollars(cost.puts)} ($${cost.prices.perThousandPuts}/1,000) + GET-class ${dollars(cost.gets)} ($${cost.prices.perThousandGets}/1,000).`,
  );
  console.log(
    'Browsers loading public or signed URLs are billed too but are not the app’s requests: not counted here.',
  );
}

runCommand('storage:usage', main);
