/**
 * Video files made in code. They carry the real container signatures (an ISO-BMFF `ftyp`
 * box, an EBML header with the `webm` doctype) that content sniffing looks for, padded to
 * any size; they are not meant to play.
 */
function box(type: string, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + payload.length, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, payload]);
}

export function makeMp4(totalBytes = 64 * 1024): Buffer {
  const ftyp = box(
    'ftyp',
    Buffer.concat([
      Buffer.from('isom', 'latin1'),
      Buffer.from([0, 0, 2, 0]),
      Buffer.from('isomiso2avc1mp41', 'latin1'),
    ]),
  );
  const mdat = box('mdat', Buffer.alloc(Math.max(0, totalBytes - ftyp.length - 8), 0x42));
  return Buffer.concat([ftyp, mdat]);
}

export function makeWebm(totalBytes = 64 * 1024): Buffer {
  // EBML header: DocType "webm".
  const ebml = Buffer.from([
    0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01, 0x42, 0xf2, 0x81, 0x04, 0x42, 0xf3,
    0x81, 0x08, 0x42, 0x82, 0x84, 0x77, 0x65, 0x62, 0x6d, 0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02,
  ]);
  return Buffer.concat([ebml, Buffer.alloc(Math.max(0, totalBytes - ebml.length), 0)]);
}
