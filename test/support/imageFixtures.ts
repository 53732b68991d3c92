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
};
