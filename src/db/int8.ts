/**
 * How 64-bit integers (PostgreSQL bigint / int8) come back from the database. Byte counts are
 * bigint so that a video may exceed 2 GiB; `pg` hands int8 over as a string and PGlite as a
 * number parsed without a check. Both drivers get this parser instead, so every row says
 * `bytes: number`, and a value JavaScript cannot hold exactly (above 2^53 − 1, some 8 PiB)
 * fails loudly rather than being rounded into a wrong size.
 */
export const INT8_TYPE_ID = 20;

/** Parses int8 text into a number; throws RangeError when it is not a safe integer. */
export function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value))
    throw new RangeError(`The database returned ${text}, which is beyond JavaScript's exact integers`);
  return value;
}
