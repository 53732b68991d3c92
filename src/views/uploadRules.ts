/**
 * What the upload forms tell the browser about their limits, in the server's own sentences,
 * so a file is checked before it is sent (static/js/imagePrep.js) and the member reads the
 * same words either way.
 */
import { refusedImageTypeSentence } from '../images/sniffImageType.ts';
import { fileTooLarge } from '../refusals/reasons.ts';

export const IMAGE_ACCEPT = 'image/jpeg,image/png,image/webp,image/gif,image/avif';

export interface UploadRules {
  accept: string;
  maxBytes: number;
  tooLarge: string;
  /** JSON: the refusal sentence by type ("heic", "svg", "tiff", "pdf", "other"). */
  wrongType: string;
}

export function imageUploadRules(maxImageBytes: number): UploadRules {
  const sentences = {
    heic: refusedImageTypeSentence('heic'),
    svg: refusedImageTypeSentence('svg'),
    tiff: refusedImageTypeSentence('tif'),
    pdf: refusedImageTypeSentence('pdf'),
    bmp: refusedImageTypeSentence('bmp'),
    other: refusedImageTypeSentence(undefined),
  };
  return {
    accept: IMAGE_ACCEPT,
    maxBytes: maxImageBytes,
    tooLarge: fileTooLarge('image', maxImageBytes).message,
    wrongType: JSON.stringify(sentences),
  };
}

export function videoUploadRules(maxVideoBytes: number): Pick<UploadRules, 'maxBytes' | 'tooLarge'> {
  return { maxBytes: maxVideoBytes, tooLarge: fileTooLarge('video', maxVideoBytes).message };
}
