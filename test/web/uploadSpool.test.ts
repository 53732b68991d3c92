/**
 * The form upload spool: a private file under a private directory, and a disk that refuses
 * it (full, over quota) turned into the one refusal with its sentence — not a 400 "could not
 * be read". A full disk cannot be provoked here without root, so the error Node gives
 * (an ENOSPC from fs) is built by hand; the file modes are checked on the real disk.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Refusal } from '../../src/refusals/refusal.ts';
import { translateUploadError } from '../../src/web/uploadErrors.ts';
import { openUploadSpool } from '../../src/web/uploadSpool.ts';

const fsError = (code: string) => Object.assign(new Error(`${code}: write failed`), { code, syscall: 'write' });

describe('the upload spool', () => {
  let root: string | undefined;
  afterAll(async () => root && rm(root, { recursive: true, force: true }));

  it('is a new file readable by this user alone, in a directory only this user can enter', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'vv-spool-'));
    const tempDir = path.join(root, 'uploads-in-progress');
    const first = await openUploadSpool(tempDir);
    const second = await openUploadSpool(tempDir);
    await Promise.all(
      [first, second].map(
        (spool) => new Promise<void>((resolve) => spool.stream.end(Buffer.from('bytes'), () => resolve())),
      ),
    );
    expect(first.path).not.toBe(second.path);
    expect((await stat(tempDir)).mode & 0o777).toBe(0o700);
    expect((await stat(first.path)).mode & 0o777).toBe(0o600);
    expect((await stat(first.path)).size).toBe(5);
  });

  it('turns a full disk or a spent quota into 507 with a sentence, and leaves other errors alone', () => {
    for (const code of ['ENOSPC', 'EDQUOT']) {
      const refusal = translateUploadError(fsError(code), { video: 1 });
      expect(refusal).toBeInstanceOf(Refusal);
      expect(refusal.status).toBe(507);
      expect(refusal.message).toBe(
        "The server's disk is full, so your upload could not be kept and nothing was saved. Please try again later.",
      );
    }
    expect(translateUploadError(fsError('EACCES'), { video: 1 }).status).toBe(400);
    expect(translateUploadError(new Error('no code'), { video: 1 }).status).toBe(400);
    expect(translateUploadError(fsError('EIO'), { video: 1 }).status).toBe(400);
  });
});
