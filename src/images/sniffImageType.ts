/**
 * Decides what an upload is from its bytes (magic numbers), never from the client's file
 * name or declared Content-Type, which are both attacker-controlled.
 */
import { fileTypeFromBuffer } from 'file-type';

import type { AcceptedType } from '../storage/acceptedType.js';

export type AcceptedImageType = AcceptedType;

const ACCEPTED: Record<string, AcceptedImageType> = {
  'image/jpeg': { mime: 'image/jpeg', extension: 'jpg' },
  'image/png': { mime: 'image/png', extension: 'png' },
  'image/webp': { mime: 'image/webp', extension: 'webp' },
  'image/gif': { mime: 'image/gif', extension: 'gif' },
};

export const ACCEPTED_IMAGE_FORMATS = 'JPEG, PNG, WebP or GIF';

export class UnsupportedImageError extends Error {
  constructor(readonly detected: string | undefined) {
    super(
      detected
        ? `That file is ${detected}, not an image we accept. Please upload a ${ACCEPTED_IMAGE_FORMATS} image.`
        : `That file is not an image we recognise. Please upload a ${ACCEPTED_IMAGE_FORMATS} image.`,
    );
    this.name = 'UnsupportedImageError';
  }
}

/** Resolves to the accepted type, or throws UnsupportedImageError saying what the bytes looked like. */
export async function sniffImageType(bytes: Uint8Array): Promise<AcceptedImageType> {
  const detected = await fileTypeFromBuffer(bytes);
  const accepted = detected ? ACCEPTED[detected.mime] : undefined;
  if (accepted) return accepted;
  throw new UnsupportedImageError(detected ? describe(detected.mime, detected.ext) : undefined);
}

function describe(mime: string, ext: string): string {
  if (mime.startsWith('image/')) return `a ${ext.toUpperCase()} image`;
  return `a ${ext.toUpperCase()} file`;
}
