/**
 * The WebAssembly CRC64NVME must give exactly what S3 computes: checked against the
 * bit-by-bit reference written out in test/support (not the SDK's implementation), on lengths
 * around its 16-byte steps, on views that start at odd offsets, split into uneven updates,
 * and across its 1 MiB window.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Crc64NvmeWasm } from '../../src/storage/crc64nvmeWasm.ts';
import { crc64nvmeBase64 } from '../support/crc64nvme.ts';

async function wasmBase64(parts: Uint8Array[]): Promise<string> {
  const checksum = new Crc64NvmeWasm();
  for (const part of parts) checksum.update(part);
  return Buffer.from(await checksum.digest()).toString('base64');
}

describe('Crc64NvmeWasm', () => {
  it('matches the reference for short inputs of every length around its 16-byte steps', async () => {
    const bytes = randomBytes(70);
    for (let length = 0; length <= 64; length++) {
      const input = bytes.subarray(3, 3 + length);
      expect(await wasmBase64([input]), `length ${length}`).toBe(crc64nvmeBase64(input));
    }
  });

  it('knows the standard check value of "123456789"', async () => {
    // CRC-64/NVME's catalogued check value is 0xae8b14860a799888.
    expect(Buffer.from(await wasmBase64([Buffer.from('123456789')]), 'base64').toString('hex')).toBe(
      'ae8b14860a799888',
    );
  });

  it('gives the same result however the bytes are split, past its 1 MiB window', async () => {
    const bytes = randomBytes(2 * 1024 * 1024 + 4099);
    const expected = crc64nvmeBase64(bytes);
    expect(await wasmBase64([bytes])).toBe(expected);
    const cuts = [0, 1, 17, 65_536, 1_048_577, 1_500_000, bytes.length];
    const parts = cuts.slice(1).map((end, i) => bytes.subarray(cuts[i], end));
    expect(await wasmBase64(parts)).toBe(expected);
  });

  it('starts over after reset()', async () => {
    const checksum = new Crc64NvmeWasm();
    checksum.update(Buffer.from('something else'));
    checksum.reset();
    checksum.update(Buffer.from('abc'));
    expect(Buffer.from(await checksum.digest()).toString('base64')).toBe(crc64nvmeBase64(Buffer.from('abc')));
  });
});
