/**
 * Decides what an upload is from its bytes (magic numbers), never from the client's file
 * name or declared Content-Type, which are both attacker-controlled.
 */
import { fileTypeFromBuffer } from 'file-type';
import type { AcceptedType } from '../storage/acceptedType.ts';
import { notAcceptedImage } from '../refusals/reasons.ts';
import { Refusal } from '../refusals/refusal.ts';

const ACCEPTED: Record<string, AcceptedType> = {
  'image/jpeg': { mime: 'image/jpeg', extension: 'jpg' },
  'image/png': { mime: 'image/png', extension: 'png' },
  'image/webp': { mime: 'image/webp', extension: 'webp' },
  'image/gif': { mime: 'image/gif', extension: 'gif' },
  'image/avif': { mime: 'image/avif', extension: 'avif' },
};

/** Extra advice for types phones and tools commonly produce, keyed by file-type's extension. */
const HOW_TO_SEND_INSTEAD: Record<string, string> = {
  heic: 'iPhones save photos as HEIC: share the photo as JPEG, or set Settings › Camera › Formats to “Most Compatible”.',
  svg: 'Drawings in SVG can carry scripts, so we take only pictures: export it as PNG.',
  pdf: 'Export the page as an image first.',
  tif: 'Save it as JPEG or PNG first.',
};

/** Where the article does not follow from the first letter. */
const TYPE_NAMES: Record<string, string> = { svg: 'an SVG' };

/** The sentence for a file that is not an accepted image; `extension` is file-type's (or "svg"), undefined when unknown. */
export function refusedImageTypeSentence(extension: string | undefined): string {
  const name =
    extension && (TYPE_NAMES[extension] ?? `a${/^[aeiou]/.test(extension) ? 'n' : ''} ${extension.toUpperCase()}`);
  const what = name ? `That file is ${name} file, not an image we accept.` : 'That file is not an image we recognise.';
  const advice = extension ? HOW_TO_SEND_INSTEAD[extension] : undefined;
  return notAcceptedImage(advice ? `${what} ${advice}` : what).message;
}

/** SVG is text, which file-type does not detect: an XML or <svg> start that names the SVG namespace or element. */
function looksLikeSvg(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 1024))
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  return /^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]/i.test(head);
}

/** Resolves to the accepted type, or throws a 415 Refusal saying what the bytes looked like. */
export async function sniffImageType(bytes: Uint8Array): Promise<AcceptedType> {
  const detected = await fileTypeFromBuffer(bytes);
  const accepted = detected ? ACCEPTED[detected.mime] : undefined;
  if (accepted) return accepted;
  const extension = detected?.ext ?? (looksLikeSvg(bytes) ? 'svg' : undefined);
  throw new Refusal(415, refusedImageTypeSentence(extension));
}
