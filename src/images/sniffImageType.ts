/**
 * Decides what an upload is from its bytes (magic numbers), never from the client's file
 * name or declared Content-Type, which are both attacker-controlled.
 */
import { fileTypeFromBuffer } from 'file-type';
import type { AcceptedType } from '../storage/acceptedType.ts';
import { notAcceptedImage } from '../refusals/reasons.ts';

const ACCEPTED: Record<string, AcceptedType> = {
  'image/jpeg': { mime: 'image/jpeg', extension: 'jpg' },
  'image/png': { mime: 'image/png', extension: 'png' },
  'image/webp': { mime: 'image/webp', extension: 'webp' },
  'image/gif': { mime: 'image/gif', extension: 'gif' },
  'image/avif': { mime: 'image/avif', extension: 'avif' },
};

/** Resolves to the accepted type, or throws a 415 Refusal saying what the bytes looked like. */
export async function sniffImageType(bytes: Uint8Array): Promise<AcceptedType> {
  const detected = await fileTypeFromBuffer(bytes);
  const accepted = detected ? ACCEPTED[detected.mime] : undefined;
  if (accepted) return accepted;
  const what = detected
    ? `That file is a${/^[AEIOU]/.test(detected.ext.toUpperCase()) ? 'n' : ''} ${detected.ext.toUpperCase()} file, not an image we accept.`
    : 'That file is not an image we recognise.';
  throw notAcceptedImage(what);
}
