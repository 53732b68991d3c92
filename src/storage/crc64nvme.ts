/**
 * The CRC64NVME of an object's bytes, read from a backend that computes none (local disk), in
 * the base64 form S3 reports — so a copy from disk to S3 is verified against the bytes that
 * were on disk, by comparing with what S3 says it received.
 */
import { Crc64NvmeWasm } from './crc64nvmeWasm.ts';
import type { StorageAdapter } from './contract.ts';

export async function crc64nvmeOf(adapter: StorageAdapter, key: string): Promise<string> {
  const checksum = new Crc64NvmeWasm();
  for await (const chunk of await adapter.get(key)) checksum.update(chunk as Buffer);
  return Buffer.from(await checksum.digest()).toString('base64');
}
