/**
 * CRC-64/NVME written out here, so tests can check the checksum S3 reports against the bytes
 * without trusting the SDK's own implementation (the one that computed what was sent).
 * Reflected polynomial 0x9a6c9329ac4bc9b5, initial value and final XOR all ones.
 */
const POLYNOMIAL = 0x9a6c9329ac4bc9b5n;
const MASK = 0xffffffffffffffffn;

const TABLE = Array.from({ length: 256 }, (_, index) => {
  let crc = BigInt(index);
  for (let bit = 0; bit < 8; bit += 1) crc = crc & 1n ? (crc >> 1n) ^ POLYNOMIAL : crc >> 1n;
  return crc;
});

/** Base64 of the big-endian CRC64NVME, the form S3's x-amz-checksum-crc64nvme header uses. */
export function crc64nvmeBase64(bytes: Uint8Array): string {
  let crc = MASK;
  for (const byte of bytes) crc = (TABLE[Number((crc ^ BigInt(byte)) & 0xffn)] ?? 0n) ^ (crc >> 8n);
  crc ^= MASK;
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(crc & MASK);
  return out.toString('base64');
}
