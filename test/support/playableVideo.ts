/**
 * A real, playable video without ffmpeg: Chromium records a few seconds of an animated canvas
 * with MediaRecorder (WebM, VP8), then it is padded to any size with an EBML Void element,
 * which WebM players skip by definition — so a 30 MB file plays like the short clip it holds.
 */
import type { Page } from 'playwright-core';

/** Records `seconds` of a moving canvas in the page and returns the WebM bytes. */
export async function recordWebm(page: Page, seconds: number): Promise<Buffer> {
  const base64 = await page.evaluate(async (durationMs) => {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 180;
    const context = canvas.getContext('2d')!;
    const started = performance.now();
    let frame = 0;
    const draw = () => {
      frame += 1;
      context.fillStyle = `hsl(${(frame * 7) % 360} 70% 50%)`;
      context.fillRect(0, 0, 320, 180);
      context.fillStyle = '#fff';
      context.fillRect((frame * 5) % 320, 70, 40, 40);
      if (performance.now() - started < durationMs + 500) requestAnimationFrame(draw);
    };
    draw();
    const recorder = new MediaRecorder(canvas.captureStream(30), { mimeType: 'video/webm;codecs=vp8' });
    const chunks: Blob[] = [];
    recorder.ondataavailable = (event) => chunks.push(event.data);
    const stopped = new Promise((resolve) => (recorder.onstop = resolve));
    recorder.start(250);
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    recorder.stop();
    await stopped;
    const bytes = new Uint8Array(await new Blob(chunks, { type: 'video/webm' }).arrayBuffer());
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  }, seconds * 1000);
  return Buffer.from(base64, 'base64');
}

/** `webm` followed by an EBML Void element (ID 0xEC, 8-byte size) filling it up to `totalBytes`. */
export function padWebm(webm: Buffer, totalBytes: number): Buffer {
  const header = 1 + 8;
  const padding = totalBytes - webm.length - header;
  if (padding < 0) throw new Error(`The recording is already ${webm.length} bytes`);
  const element = Buffer.alloc(header);
  element[0] = 0xec;
  // An 8-byte EBML size: the marker bit 0x01, then 56 bits of length.
  element.writeUInt8(0x01, 1);
  element.writeUIntBE(Math.floor(padding / 2 ** 32), 2, 3);
  element.writeUInt32BE(padding % 2 ** 32, 5);
  return Buffer.concat([webm, element, Buffer.alloc(padding)]);
}
