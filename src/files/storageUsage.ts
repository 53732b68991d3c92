/**
 * `storage:usage`: what is stored where, and what this month costs. Objects and bytes per folder
 * in the primary bucket, the backup bucket and on local disk, listed (not taken from the
 * database, which does not know leftovers); the bytes held on local disk waiting for S3; and the
 * month's estimated bill from those bytes and the requests the app recorded (storage_requests).
 */
import type { AppDatabase } from '../db/database.ts';
import type { StorageAdapter } from '../storage/contract.ts';
import { MEDIA_FOLDERS } from '../storage/keys.ts';
import { monthOf, type RequestTarget } from './requestLedger.ts';

/** Defaults: S3 Standard in us-east-1, as the original guide's cost section quotes them. */
export interface Prices {
  perGbMonth: number;
  perThousandPuts: number;
  perThousandGets: number;
}

export const DEFAULT_PRICES: Prices = { perGbMonth: 0.023, perThousandPuts: 0.005, perThousandGets: 0.0004 };

const FOLDERS = [...MEDIA_FOLDERS, 'incoming'] as const;

export interface PlaceUsage {
  objects: number;
  bytes: number;
  byFolder: Record<string, { objects: number; bytes: number }>;
}

export interface UsageReport {
  month: string;
  primary: PlaceUsage | undefined;
  backup: PlaceUsage | undefined;
  local: PlaceUsage;
  /** Files recorded on local disk while S3 is configured: they wait for resync or storage:migrate. */
  fallback: { files: number; bytes: number };
  requests: Record<RequestTarget, { puts: number; gets: number; lists: number; deletes: number }>;
  cost: { storage: number; puts: number; gets: number; total: number; prices: Prices };
}

async function usageOf(adapter: StorageAdapter, folders: readonly string[]): Promise<PlaceUsage> {
  const usage: PlaceUsage = { objects: 0, bytes: 0, byFolder: {} };
  for (const folder of folders) {
    const tally = { objects: 0, bytes: 0 };
    for await (const object of adapter.list(`${folder}/`)) {
      tally.objects += 1;
      tally.bytes += object.size;
    }
    usage.byFolder[folder] = tally;
    usage.objects += tally.objects;
    usage.bytes += tally.bytes;
  }
  return usage;
}

const GIB = 1024 ** 3;

export async function measureStorageUsage(
  deps: {
    db: AppDatabase;
    primary?: StorageAdapter | undefined;
    backup?: StorageAdapter | undefined;
    local: StorageAdapter;
  },
  options: { prices?: Prices; now?: Date } = {},
): Promise<UsageReport> {
  const prices = options.prices ?? DEFAULT_PRICES;
  const month = monthOf(options.now ?? new Date());
  const primary = deps.primary ? await usageOf(deps.primary, FOLDERS) : undefined;
  const backup = deps.backup ? await usageOf(deps.backup, FOLDERS) : undefined;
  const local = await usageOf(deps.local, MEDIA_FOLDERS);
  const fallbackRow = await deps.db
    .selectFrom('stored_files')
    .select([deps.db.fn.countAll<string>().as('files'), deps.db.fn.sum<string | null>('bytes').as('bytes')])
    .where('location', '=', 'local')
    .where('lost_at', 'is', null)
    .executeTakeFirstOrThrow();
  const counted = await deps.db.selectFrom('storage_requests').selectAll().where('month', '=', month).execute();
  const requests = {
    primary: { puts: 0, gets: 0, lists: 0, deletes: 0 },
    backup: { puts: 0, gets: 0, lists: 0, deletes: 0 },
  };
  for (const row of counted) {
    const field = ({ put: 'puts', get: 'gets', list: 'lists', delete: 'deletes' } as const)[row.kind];
    requests[row.target][field] += Number(row.count);
  }
  // Billed by the GiB-month; a month's estimate assumes today's bytes stay all month.
  const storedBytes = (primary?.bytes ?? 0) + (backup?.bytes ?? 0);
  const storage = (storedBytes / GIB) * prices.perGbMonth;
  // LIST is billed as a PUT-class request.
  const putClass = requests.primary.puts + requests.primary.lists + requests.backup.puts + requests.backup.lists;
  const getClass = requests.primary.gets + requests.backup.gets;
  const puts = (putClass / 1000) * prices.perThousandPuts;
  const gets = (getClass / 1000) * prices.perThousandGets;
  return {
    month,
    primary,
    backup,
    local,
    fallback: { files: Number(fallbackRow.files), bytes: Number(fallbackRow.bytes ?? 0) },
    requests,
    cost: { storage, puts, gets, total: storage + puts + gets, prices },
  };
}
