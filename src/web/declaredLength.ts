/**
 * Refuses an upload by its declared Content-Length, before a byte of the body is read.
 * multer alone stops keeping a file at its limit but then drains the rest of the body before
 * answering, so a 2 GB "avatar" would still be received in full; browsers always declare the
 * length, so checking it first turns that into an immediate 413. The unread rest is then read
 * and discarded within bounds (lingeringClose.ts), so every client gets to read the answer.
 * Bodies without a declared length (chunked) still meet multer's per-file limit.
 */
import type { Request, RequestHandler } from 'express';
import { Refusal } from '../refusals/refusal.ts';

/** Multipart framing, part headers and the small text fields around the files. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

/** True when the body declares more than the files may take. */
export function refuseDeclaredOversize(req: Request, fileBytes: number): boolean {
  const declared = Number(req.get('content-length'));
  return Number.isFinite(declared) && declared > fileBytes + FORM_OVERHEAD_BYTES;
}

/**
 * The same early answer for plain forms: body-parser meets a declared length over its limit by
 * reading the whole body before it answers 413, however large. Refused here instead, the
 * answer comes at once and the lingering close bounds what is read after it.
 */
export function refuseOversizeForms(limitBytes: number): RequestHandler {
  return (req, _res, next) => {
    const declared = Number(req.get('content-length'));
    if (req.is('application/x-www-form-urlencoded') && Number.isFinite(declared) && declared > limitBytes)
      return next(new Refusal(413, 'That form is too large. Please use the form on the page.'));
    next();
  };
}
