/** Test images made in code with sharp, so the repository carries no binary fixtures. */
import sharp from 'sharp';

export type FixtureFormat = 'jpeg' | 'png' | 'webp' | 'gif';

export function makeImage(format: FixtureFormat, width = 64, height = 64, color = '#3b5bdb'): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: color } })
    .toFormat(format)
    .toBuffer();
}

/** Bytes that are not an image, whatever name they are sent under. */
export const NOT_AN_IMAGE = {
  text: Buffer.from('hello, this is just text\n'),
  html: Buffer.from('<!doctype html><script>alert(1)</script>'),
  svg: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
  pdf: Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n'),
  zip: Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x00\x00', 'latin1'), Buffer.alloc(64, 0x41)]),
  exe: Buffer.concat([
    Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'),
    Buffer.alloc(56, 0),
    Buffer.from('This program cannot be run in DOS mode.'),
  ]),
  // The antivirus test file: harmless, but every scanner flags it.
  eicar: Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'),
};
