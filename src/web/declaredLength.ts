/**
 * Refuses an upload by its declared Content-Length, before a byte of the body is read.
 * multer alone stops keeping a file at its limit but then drains the rest of the body before
 * answering, so a 2 GB "avatar" would still be received in full; browsers always declare the
 * length, so checking it first turns that into an immediate 413 and a closed connection.
 * Bodies without a declared length (chunked) still meet multer's per-file limit.
 */
import type { Request, Response } from 'express';

/** Multipart framing, part headers and the small text fields around the files. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

/** True (and the connection marked to close, so the unread rest is never received) when the body declares more than the files may take. */
export function refuseDeclaredOversize(req: Request, res: Response, fileBytes: number): boolean {
  const declared = Number(req.get('content-length'));
  if (!Number.isFinite(declared) || declared <= fileBytes + FORM_OVERHEAD_BYTES) return false;
  res.setHeader('Connection', 'close');
  return true;
}
