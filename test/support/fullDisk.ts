/**
 * A full disk, two ways. `diskFullAfter` is the injected one (the local adapter's write
 * boundary): the first `writesThatFit` files are written, the next gets part of its bytes on
 * disk and then fails with ENOSPC, as a real full file system does, so the test can check the
 * partial file is removed. `mountSmallTmpfs` is the real one, when this process may mount.
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import type { OpenWriteStream } from '../../src/storage/adapters/local.ts';

const run = promisify(execFile);

export function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), {
    code: 'ENOSPC',
    errno: -28,
    syscall: 'write',
  });
}

/** A write function that lets `writesThatFit` files through whole, then fails each later one after its first chunk. */
export function diskFullAfter(state: { writesThatFit: number }): OpenWriteStream & { opened(): number } {
  let opened = 0;
  const open = (file: string) => {
    opened += 1;
    const real = createWriteStream(file, { flags: 'wx' });
    if (opened <= state.writesThatFit) return real;
    return new Writable({
      write(chunk: Buffer, _encoding, done) {
        // Part of the bytes reach the disk, as when the last free blocks are used up mid-file.
        real.write(chunk.subarray(0, Math.ceil(chunk.length / 2)), () => done(enospc()));
      },
      destroy(error, done) {
        real.end(() => done(error));
      },
    });
  };
  return Object.assign(open, { opened: () => opened });
}

export interface SmallTmpfs {
  dir: string;
  /** Fills what is left of it with one file, so the next write finds no free block. */
  fill(): Promise<void>;
  /** Removes the filler again. */
  free(): Promise<void>;
  unmount(): Promise<void>;
}

/** Why a tmpfs cannot be mounted here, or undefined when it can (probed once with a real mount). */
export async function tmpfsUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `tmpfs needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  try {
    const probe = await mountSmallTmpfs(64 * 1024);
    await probe.unmount();
    return undefined;
  } catch (error) {
    return `mount -t tmpfs is not permitted here: ${(error as Error).message.split('\n')[0]}`;
  }
}

export async function mountSmallTmpfs(bytes: number): Promise<SmallTmpfs> {
  const dir = await fs.mkdtemp('/tmp/vv-tmpfs-');
  await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  const filler = `${dir}/.filler`;
  return {
    dir,
    async fill() {
      const handle = await fs.open(filler, 'a');
      const block = Buffer.alloc(64 * 1024);
      try {
        for (;;) await handle.write(block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        await handle.close();
      }
    },
    free: () => fs.rm(filler, { force: true }),
    async unmount() {
      await run('umount', [dir]);
      await fs.rmdir(dir);
    },
  };
}
