/**
 * The awkward and hostile images a real photo upload form meets, generated in code: every
 * EXIF orientation, GPS-tagged and CMYK JPEGs, 16-bit and transparent PNGs, an animated GIF,
 * a pixel bomb, a truncated JPEG, a JPEG carrying a ZIP, and files that only pretend to be
 * images.
 */
import zlib from 'node:zlib';
import sharp from 'sharp';

export const QUADRANT_COLOURS = {
  topLeft: [230, 30, 30],
  topRight: [30, 200, 30],
  bottomLeft: [30, 30, 230],
  bottomRight: [240, 220, 20],
} as const;

/** The picture as it should look: 300×200, four coloured quadrants. */
function uprightPixels(width: number, height: number): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour =
        y < height / 2
          ? x < width / 2
            ? QUADRANT_COLOURS.topLeft
            : QUADRANT_COLOURS.topRight
          : x < width / 2
            ? QUADRANT_COLOURS.bottomLeft
            : QUADRANT_COLOURS.bottomRight;
      pixels.set(colour, (y * width + x) * 3);
    }
  }
  return pixels;
}

/**
 * Where EXIF orientation `n` says displayed pixel (x, y) is stored, for a stored image of
 * storedWidth × storedHeight (the TIFF/EXIF specification's eight cases, written out here
 * independently of libvips so the test does not trust the code it tests).
 */
function storedPosition(
  orientation: number,
  x: number,
  y: number,
  storedWidth: number,
  storedHeight: number,
): [number, number] {
  switch (orientation) {
    case 1:
      return [x, y];
    case 2:
      return [storedWidth - 1 - x, y];
    case 3:
      return [storedWidth - 1 - x, storedHeight - 1 - y];
    case 4:
      return [x, storedHeight - 1 - y];
    case 5:
      return [y, x];
    case 6:
      return [y, storedHeight - 1 - x];
    case 7:
      return [storedWidth - 1 - y, storedHeight - 1 - x];
    case 8:
      return [storedWidth - 1 - y, x];
    default:
      throw new Error(`orientation ${orientation}`);
  }
}

/** A JPEG whose pixels are stored turned/mirrored as a camera would, tagged to be shown upright. */
export async function orientedJpeg(orientation: number, width = 300, height = 200): Promise<Buffer> {
  const upright = uprightPixels(width, height);
  const [storedWidth, storedHeight] = orientation >= 5 ? [height, width] : [width, height];
  const stored = Buffer.alloc(upright.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [u, v] = storedPosition(orientation, x, y, storedWidth, storedHeight);
      upright.copy(stored, (v * storedWidth + u) * 3, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return (
    sharp(stored, { raw: { width: storedWidth, height: storedHeight, channels: 3 } })
      // libvips writes the Orientation tag from its own field, not from a raw EXIF block.
      .withMetadata({ orientation })
      .jpeg({ quality: 95 })
      .toBuffer()
  );
}

const solid = (width: number, height: number, background: string) =>
  sharp({ create: { width, height, channels: 3, background } });

export const GPS_MARKER = 'PhoneCo Camera';

export async function gpsTaggedJpeg(): Promise<Buffer> {
  return solid(400, 300, '#778899')
    .withExif({
      IFD0: { Make: GPS_MARKER, ImageDescription: 'holiday' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' },
    })
    .jpeg()
    .toBuffer();
}

export const cmykJpeg = () => solid(300, 300, '#cc3333').toColourspace('cmyk').jpeg().toBuffer();
export const sixteenBitPng = () => solid(300, 300, '#33aa66').toColourspace('rgb16').png().toBuffer();
export const transparentPng = () =>
  sharp({ create: { width: 300, height: 300, channels: 4, background: { r: 200, g: 0, b: 0, alpha: 0.4 } } })
    .png()
    .toBuffer();
export const avifImage = () => solid(300, 300, '#5544aa').avif().toBuffer();

export async function animatedGif(): Promise<Buffer> {
  const frames = await Promise.all(
    ['#ff0000', '#00ff00', '#0000ff'].map((colour) => solid(120, 120, colour).png().toBuffer()),
  );
  return sharp(frames, { join: { animated: true } })
    .gif()
    .toBuffer();
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** A few hundred bytes whose header claims 20000×20000 pixels (400 megapixels). */
export function pixelBombPng(side = 20_000): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const scanlines = zlib.deflateSync(Buffer.alloc(side * 3 + 1, 0).subarray(0, 4096));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', scanlines),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export async function truncatedJpeg(): Promise<Buffer> {
  const whole = await sharp({ create: { width: 600, height: 400, channels: 3, background: '#0088cc' } })
    .jpeg()
    .toBuffer();
  return whole.subarray(0, Math.floor(whole.length * 0.6));
}

export const ZIP_PAYLOAD = Buffer.concat([
  Buffer.from('PK\x03\x04', 'latin1'),
  Buffer.from('payload.html<script>alert(1)</script>'.repeat(10)),
]);

export async function jpegWithZipAppended(): Promise<Buffer> {
  return Buffer.concat([await solid(300, 300, '#aa7744').jpeg().toBuffer(), ZIP_PAYLOAD]);
}

export const tiffImage = () => solid(300, 300, '#123456').tiff().toBuffer();

/** A BMP header and pixels: a real image format we do not accept. */
export function bmpImage(width = 80, height = 80): Buffer {
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const file = Buffer.alloc(54 + rowBytes * height, 0x7f);
  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(54, 10);
  file.writeUInt32LE(40, 14);
  file.writeInt32LE(width, 18);
  file.writeInt32LE(height, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(24, 28);
  return file;
}

/** An ISO-BMFF header with the HEIC brand, as iPhones write: not accepted (no decoder is enabled). */
export function heicHeader(): Buffer {
  const ftyp = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1')]);
  return Buffer.concat([ftyp, Buffer.alloc(512, 0)]);
}

export const psdHeader = () => Buffer.concat([Buffer.from('8BPS\0\x01', 'latin1'), Buffer.alloc(512, 0)]);
