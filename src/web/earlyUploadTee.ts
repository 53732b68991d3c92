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

/** True when `chunk` is accepted at once, or when the sink has failed (nothing more is written to it then). */
function writeNowToSink(sink: EarlyUpload['sink'], chunk: Buffer): boolean {
  return sink.destroyed || sink.write(chunk);
}

/** Resolves once `chunk` is accepted, or at once when the sink has failed (nothing more is written to it then). */
async function writeToSink(sink: EarlyUpload['sink'], chunk: Buffer): Promise<void> {
  if (writeNowToSink(sink, chunk)) return;
  await drainedOrClosed(sink);
}

function drainedOrClosed(sink: EarlyUpload['sink']): Promise<void> {
  return new Promise<void>((resolve) => {
    const settle = () => {
      sink.off('drain', settle).off('close', settle);
      resolve();
    };
    sink.on('drain', settle).on('close', settle);
  });
}

export interface EarlyUploadTee extends Transform {
  /**
   * The upload this tee started, once starting it has settled (undefined if none was). A part
   * that fails while the upload is still starting (client gone mid-sniff) would otherwise leave
   * it unseen by whoever cleans up, its object written later and never deleted.
   */
  started(): Promise<EarlyUpload | undefined>;
}

export function createEarlyUploadTee(start: (head: Buffer) => Promise<EarlyUpload | undefined>): EarlyUploadTee {
  let head: Buffer[] = [];
  let headBytes = 0;
  let decided = false;
  let givenUp = false;
  let upload: EarlyUpload | undefined;
  let starting: Promise<EarlyUpload | undefined> = Promise.resolve(undefined);

  const startWith = async (bytes: Buffer) => {
    decided = true;
    starting = start(bytes);
    upload = await starting;
    if (!upload) return;
    // Given up while starting: end it with what it has, so discard() can settle and delete it.
    if (givenUp) return upload.sink.end();
    await writeToSink(upload.sink, bytes);
  };

  const tee = new Transform({
    // Room for a few network chunks, as the spool and the sink have.
    highWaterMark: 1024 * 1024,
    transform(chunk: Buffer, _encoding, done) {
      // The steady state, once per network chunk: no promise unless the sink is full.
      if (decided && (!upload || writeNowToSink(upload.sink, chunk))) return done(null, chunk);
      if (decided && upload) return void drainedOrClosed(upload.sink).then(() => done(null, chunk), done);
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
      givenUp = true;
      if (upload && !upload.sink.writableEnded && !upload.sink.destroyed) upload.sink.end();
      done(error);
    },
  });
  return Object.assign(tee, { started: () => starting });
}
