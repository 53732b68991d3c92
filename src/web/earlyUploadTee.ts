/**
 * A pass-through for a file part that also feeds an early upload (storage/earlyVideoUpload.ts):
 * it holds the first bytes until there are enough to sniff, starts the upload, then writes
 * every chunk to it — waiting for it to drain, so memory stays bounded by the upload's own
 * buffers. If the upload fails it is simply left behind; the spool goes on. If the part fails
 * (too large, client gone), the upload is ended there, and discarded by whoever gets the error.
 */
import { Transform } from 'node:stream';
import type { EarlyUpload } from '../files/earlyVideoUpload.ts';
import { VIDEO_SNIFF_BYTES as SNIFF_BYTES } from '../files/sniffVideoType.ts';

/** Resolves once `chunk` is accepted, or at once when the sink has failed (nothing more is written to it then). */
async function writeToSink(sink: EarlyUpload['sink'], chunk: Buffer): Promise<void> {
  if (sink.destroyed || sink.write(chunk)) return;
  await new Promise<void>((resolve) => {
    const settle = () => {
      sink.off('drain', settle).off('close', settle);
      resolve();
    };
    sink.on('drain', settle).on('close', settle);
  });
}

export function createEarlyUploadTee(
  start: (head: Buffer) => Promise<EarlyUpload | undefined>,
  onStarted: (upload: EarlyUpload) => void,
): Transform {
  let head: Buffer[] = [];
  let headBytes = 0;
  let decided = false;
  let upload: EarlyUpload | undefined;

  const startWith = async (bytes: Buffer) => {
    decided = true;
    upload = await start(bytes);
    if (upload) {
      onStarted(upload);
      await writeToSink(upload.sink, bytes);
    }
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const forward = async () => {
        if (decided) {
          if (upload) await writeToSink(upload.sink, chunk);
          return;
        }
        head.push(chunk);
        headBytes += chunk.length;
        if (headBytes < SNIFF_BYTES) return;
        const bytes = Buffer.concat(head);
        head = [];
        await startWith(bytes);
      };
      forward().then(() => done(null, chunk), done);
    },
    flush(done) {
      const finish = async () => {
        if (!decided && headBytes > 0) await startWith(Buffer.concat(head));
        upload?.sink.end();
      };
      finish().then(() => done(), done);
    },
    destroy(error, done) {
      // Given up (too large, client gone): finish what was sent; the caller's discard() deletes it.
      if (upload && !upload.sink.writableEnded && !upload.sink.destroyed) upload.sink.end();
      done(error);
    },
  });
}
