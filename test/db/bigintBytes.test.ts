/**
 * Byte counts are bigint (migration 0008) and come back from both drivers as exact numbers:
 * a 4.5 GiB row reads as 4831838208, not a string and not a refusal; a value past 2^53 − 1
 * fails loudly instead of being rounded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInt8 } from '../../src/db/int8.ts';
import { availableDatabases, createTestApp, type TestApp } from '../support/testApp.ts';

const FOUR_AND_A_HALF_GIB = 4.5 * 2 ** 30;

describe('parseInt8', () => {
  it('reads safe integers and refuses what a number cannot hold exactly', () => {
    expect(parseInt8('4831838208')).toBe(FOUR_AND_A_HALF_GIB);
    expect(parseInt8('-1')).toBe(-1);
    expect(() => parseInt8('9007199254740993')).toThrow(RangeError);
  });
});

describe.each(availableDatabases(Boolean(process.env.TEST_DATABASE_URL)))('byte counts on %s', (database) => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ database });
  });
  afterAll(async () => testApp?.close());

  it('stores and reads sizes past 2 GiB as numbers in stored_files, direct_uploads and the ledger', async () => {
    const { db } = testApp;
    const user = await db
      .insertInto('users')
      .values({ username: 'big', password_hash: 'x' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const file = await db
      .insertInto('stored_files')
      .values({
        owner_id: user.id,
        folder: 'uploads',
        key: 'uploads/u1-big.webm',
        location: 's3',
        content_type: 'video/webm',
        bytes: FOUR_AND_A_HALF_GIB,
        sha256: '0'.repeat(64),
      })
      .returning('bytes')
      .executeTakeFirstOrThrow();
    expect(file.bytes).toBe(FOUR_AND_A_HALF_GIB);
    await db
      .insertInto('direct_uploads')
      .values({
        key: 'incoming/u1/x',
        user_id: user.id,
        purpose: 'video',
        video_id: null,
        max_bytes: FOUR_AND_A_HALF_GIB,
        part_bytes: 8 * 2 ** 20,
      })
      .execute();
    expect(await db.selectFrom('direct_uploads').select(['max_bytes', 'part_bytes']).executeTakeFirstOrThrow()).toEqual(
      {
        max_bytes: FOUR_AND_A_HALF_GIB,
        part_bytes: 8 * 2 ** 20,
      },
    );
    await db.insertInto('upload_ledger').values({ member_id: user.id, bytes: FOUR_AND_A_HALF_GIB }).execute();
    const ledger = await db.selectFrom('upload_ledger').select('bytes').executeTakeFirstOrThrow();
    expect(ledger.bytes).toBe(FOUR_AND_A_HALF_GIB);
    const counted = await db.selectFrom('stored_files').select(db.fn.countAll().as('count')).executeTakeFirstOrThrow();
    expect(counted.count).toBe(1);
  });
});
