/**
 * `storage:verify`: compares every object of every file in S3 with its copy in the backup
 * bucket by size and by the CRC64NVME each bucket's store reports — against the checksum S3
 * computed when the object was first written (the row's), so a copy that was corrupted, or a
 * primary object that changed since, is found. With `repair`, a bad or missing backup copy is
 * made again from the primary (and verified), a primary object written before checksums is
 * sealed, and a primary object that no longer matches its record is restored from a backup
 * copy that still does.
 */
import type { AppDatabase } from '../db/database.ts';
import type { StoredFileRow } from '../db/schema.ts';
import type { ObjectInfo, StorageAdapter } from '../storage/contract.ts';
import { copyVerified, objectsOf, type StoredObject } from './verifiedCopy.ts';
import { markBackedUp } from './backupState.ts';

export type BackupProblemKind =
  | 'missing-from-backup'
  | 'size-differs'
  | 'checksum-differs'
  | 'missing-from-primary'
  | 'primary-differs-from-record'
  | 'no-checksum';

export interface BackupProblem {
  fileId: number;
  key: string;
  kind: BackupProblemKind;
  detail: string;
  /** With repair: what was done, or why it could not be. */
  repair?: { ok: boolean; detail: string };
}

export interface VerifySummary {
  files: number;
  objects: number;
  bytes: number;
  matching: number;
  problems: BackupProblem[];
}

export interface VerifyDeps {
  db: AppDatabase;
  primary: StorageAdapter;
  backup: StorageAdapter;
}

const BATCH = 100;

export async function countFilesToVerify(db: AppDatabase): Promise<{ files: number; objects: number }> {
  const rows = await inS3(db).select(['key', 'bytes', 'sha256', 'variants', 'checksum']).execute();
  return { files: rows.length, objects: rows.reduce((total, row) => total + objectsOf(row).length, 0) };
}

function inS3(db: AppDatabase) {
  return db.selectFrom('stored_files').where('location', '=', 's3').where('lost_at', 'is', null);
}

export async function verifyBackup(
  deps: VerifyDeps,
  options: { repair?: boolean; onObject?: (summary: VerifySummary) => void } = {},
): Promise<VerifySummary> {
  const summary: VerifySummary = { files: 0, objects: 0, bytes: 0, matching: 0, problems: [] };
  let afterId = 0;
  for (;;) {
    const rows = await inS3(deps.db).selectAll().where('id', '>', afterId).orderBy('id').limit(BATCH).execute();
    if (rows.length === 0) break;
    afterId = rows.at(-1)?.id ?? afterId;
    for (const row of rows) {
      summary.files += 1;
      let fileClean = true;
      for (const object of objectsOf(row)) {
        summary.objects += 1;
        summary.bytes += object.size;
        const problem = await checkObject(deps, row, object);
        if (!problem) summary.matching += 1;
        else {
          if (options.repair) problem.repair = await repairObject(deps, row, object, problem);
          if (!problem.repair?.ok) fileClean = false;
          summary.problems.push(problem);
        }
        options.onObject?.(summary);
      }
      if (fileClean && row.backed_up_at === null) await markBackedUp(deps.db, row);
    }
  }
  return summary;
}

async function checkObject(
  { primary, backup }: VerifyDeps,
  row: StoredFileRow,
  object: StoredObject,
): Promise<BackupProblem | undefined> {
  const problem = (kind: BackupProblemKind, detail: string): BackupProblem => ({
    fileId: row.id,
    key: object.key,
    kind,
    detail,
  });
  const [original, copy] = await Promise.all([primary.head(object.key), backup.head(object.key)]);
  if (!original) return problem('missing-from-primary', 'the primary bucket has no object under this key');
  if (object.checksum && original.checksum !== object.checksum)
    return problem(
      'primary-differs-from-record',
      `the primary object's checksum ${shown(original)} is not the ${object.checksum} S3 computed when it was written`,
    );
  const expected = object.checksum ?? original.checksum;
  if (!expected)
    return problem('no-checksum', 'the primary object was written before checksums; --repair has S3 compute one');
  if (!copy) return problem('missing-from-backup', 'the backup bucket has no copy');
  if (copy.size !== original.size)
    return problem('size-differs', `the backup copy has ${copy.size} bytes, the primary ${original.size}`);
  if (copy.checksum !== expected)
    return problem('checksum-differs', `the backup copy's checksum ${shown(copy)} is not the recorded ${expected}`);
  return undefined;
}

const shown = (info: ObjectInfo) => info.checksum ?? '(none reported)';

async function repairObject(
  deps: VerifyDeps,
  row: StoredFileRow,
  object: StoredObject,
  problem: BackupProblem,
): Promise<{ ok: boolean; detail: string }> {
  try {
    if (problem.kind === 'missing-from-primary' || problem.kind === 'primary-differs-from-record') {
      const copy = await deps.backup.head(object.key);
      if (!object.checksum || copy?.checksum !== object.checksum)
        return { ok: false, detail: 'no backup copy matches the recorded checksum either; restore it by hand' };
      await copyVerified(deps.backup, deps.primary, row, [object], undefined, { force: true });
      return { ok: true, detail: 'restored from the backup copy and verified' };
    }
    if (problem.kind === 'no-checksum') {
      if (!deps.primary.sealChecksum) return { ok: false, detail: 'the primary store computes no checksums' };
      await deps.primary.sealChecksum(object.key);
    }
    await copyVerified(deps.primary, deps.backup, row, [object], undefined, {
      force: problem.kind !== 'no-checksum',
    });
    const again = await checkObject(deps, row, object);
    if (again) return { ok: false, detail: `still wrong after copying: ${again.detail}` };
    return { ok: true, detail: 'copied again from the primary bucket and verified' };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}
