/**
 * The checksums S3 computed when it received each object, as they are kept in a stored-file
 * row: the object at `key` in the `checksum` column, each variant's in its entry of the
 * variants JSON. Verification later compares what S3 reports against these, never against
 * metadata the app attached itself.
 */
import type { StoredFileRow, StoredVariant } from '../db/schema.ts';
import type { Checksums } from '../storage/contract.ts';

export type { Checksums } from '../storage/contract.ts';

interface ChecksumFields {
  checksum: string | null;
  variants?: string;
}

/** The row columns that record `checksums` for a file with this key and these variants. */
export function checksumColumns(
  file: { key: string; variants?: StoredVariant[] | string | null | undefined },
  checksums: Checksums,
): ChecksumFields {
  const variants = typeof file.variants === 'string' ? (JSON.parse(file.variants) as StoredVariant[]) : file.variants;
  return {
    checksum: checksums.get(file.key) ?? null,
    ...(variants &&
      variants.length > 0 && {
        variants: JSON.stringify(variants.map((variant) => ({ ...variant, checksum: checksums.get(variant.key) }))),
      }),
  };
}

/** The checksum recorded for one object of a file, if any. */
export function recordedChecksum(
  file: Pick<StoredFileRow, 'key' | 'checksum' | 'variants'>,
  key: string,
): string | undefined {
  const variant = file.variants?.find((candidate) => candidate.key === key);
  if (variant) return variant.checksum;
  return key === file.key ? (file.checksum ?? undefined) : undefined;
}
