/** Decides from the file's own bytes whether an upload is a video we accept (MP4 or WebM). */
import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import type { AcceptedType } from '../storage/acceptedType.js';

const ACCEPTED: Record<string, AcceptedType> = {
  'video/mp4': { mime: 'video/mp4', extension: 'mp4' },
  'video/webm': { mime: 'video/webm', extension: 'webm' },
};

export const ACCEPTED_VIDEO_FORMATS = 'MP4 or WebM';

/** The accepted type, or undefined with what the bytes looked like instead. */
export async function sniffVideoFile(path: string): Promise<{ accepted: AcceptedType } | { accepted: undefined; detected: string | undefined }> {
  const detected = await fileTypeFromFile(path);
  const accepted = detected ? ACCEPTED[detected.mime] : undefined;
  if (accepted) return { accepted };
  return { accepted: undefined, detected: detected?.ext.toUpperCase() };
}

/** The same decision from a file's first bytes (a few kB are enough), for a file still arriving. */
export async function sniffVideoBytes(head: Buffer): Promise<AcceptedType | undefined> {
  const detected = await fileTypeFromBuffer(head);
  return detected ? ACCEPTED[detected.mime] : undefined;
}

export function unsupportedVideoMessage(detected: string | undefined): string {
  const what = detected ? `That file is a ${detected} file, not a video we accept.` : 'That file is not a video we recognise.';
  return `${what} Please upload an ${ACCEPTED_VIDEO_FORMATS} video.`;
}
