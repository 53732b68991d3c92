/**
 * The pure judgements the fault handling rests on: which errors mean "the database is away"
 * (503, not 500), which mean "the disk is full" (507), and what /healthz says about a disk,
 * measured through an injected free-space reader and clock.
 */
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../src/db/databaseUnavailable.ts';
import { createDiskSpace } from '../../src/files/diskSpace.ts';
import { StorageError } from '../../src/storage/contract.ts';
import { isDiskFull } from '../../src/storage/diskFull.ts';
import { enospc } from '../support/fullDisk.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', withCode('ECONNREFUSED')],
    [
      'a restart or pg_terminate_backend (57P01)',
      withCode('57P01', 'terminating connection due to administrator command'),
    ],
    ['a server starting up or shutting down (57P03)', withCode('57P03')],
    ['a connection exception (08006)', withCode('08006')],
    ['our statement timeout (57014)', withCode('57014')],
    ['pg ending a connection', new Error('Connection terminated unexpectedly')],
    ['the pool waiting too long', new Error('timeout exceeded when trying to connect')],
    ['a refused connection per address', new AggregateError([withCode('ECONNREFUSED')], '')],
    ['a wrapped cause', new Error('Database migration failed', { cause: withCode('ECONNRESET') })],
  ])('%s: yes', (_what, error) => expect(isDatabaseUnavailable(error)).toBe(true));

  it.each([
    ['a unique violation (23505)', withCode('23505', 'duplicate key value')],
    ['a syntax error (42601)', withCode('42601')],
    ['a NUL byte in text (22021)', withCode('22021')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['not an error at all', 'ECONNREFUSED'],
  ])('%s: no', (_what, error) => expect(isDatabaseUnavailable(error)).toBe(false));
});

describe('isDiskFull', () => {
  it('sees ENOSPC and EDQUOT through a StorageError', () => {
    expect(isDiskFull(new StorageError('Unknown', 'Could not write', { cause: enospc() }))).toBe(true);
    expect(isDiskFull(withCode('EDQUOT'))).toBe(true);
    // The outage store in PostgreSQL on a full disk (disk_full), as files/fallbackBlobs.ts wraps it.
    expect(isDiskFull(new StorageError('Unreachable', 'could not keep it', { cause: withCode('53100') }))).toBe(true);
  });
  it('not other write failures', () => {
    expect(isDiskFull(new StorageError('Unknown', 'Could not write', { cause: withCode('EACCES') }))).toBe(false);
    expect(isDiskFull(new StorageError('Unreachable', 'S3 is down'))).toBe(false);
  });
});

describe('what /healthz says about a local disk', () => {
  const MB = 1024 * 1024;
  it('nothing while there is room; a sentence with the free bytes under the low-water mark', async () => {
    let free = 50 * MB;
    const disks = createDiskSpace({
      directories: [{ dir: '/srv/static', setting: 'LOCAL_STORAGE_DIR' }],
      freeBytes: async () => free,
    });
    expect((await disks.report()).reasons).toEqual([]);
    free = 4096;
    expect((await disks.report()).reasons).toEqual([
      'The local disk is full: 4096 bytes free under /srv/static (LOCAL_STORAGE_DIR); uploads that need it are refused until space is freed.',
    ]);
  });

  it('a write that failed for lack of space is reported for a minute, even with room again', async () => {
    let now = Date.parse('2026-12-02T00:00:00Z');
    const disks = createDiskSpace({
      directories: [{ dir: '/tmp/spool', setting: 'UPLOAD_TEMP_DIR' }],
      freeBytes: async () => 50 * MB,
      now: () => now,
    });
    disks.noteFull('/tmp/spool');
    now += 30_000;
    const { reasons, disks: figures } = await disks.report();
    expect(reasons).toEqual([
      `The local disk is full: ${50 * MB} bytes free under /tmp/spool (UPLOAD_TEMP_DIR), and a write there failed for lack of space at 2026-12-02T00:00:00.000Z; uploads that need it are refused until space is freed.`,
    ]);
    expect(figures).toEqual([
      { dir: '/tmp/spool', setting: 'UPLOAD_TEMP_DIR', freeBytes: 50 * MB, lastFullAt: '2026-12-02T00:00:00.000Z' },
    ]);
    now += 31_000;
    expect((await disks.report()).reasons).toEqual([]);
  });

  it('a disk that cannot be measured says so', async () => {
    const disks = createDiskSpace({
      directories: [{ dir: '/gone', setting: 'LOCAL_STORAGE_DIR' }],
      freeBytes: () => Promise.reject(new Error('EIO')),
    });
    expect((await disks.report()).reasons).toEqual([
      'The free space under /gone (LOCAL_STORAGE_DIR) could not be measured.',
    ]);
  });
});
