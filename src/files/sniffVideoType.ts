/** Decides from the file's own bytes whether an upload is a video we accept (MP4 or WebM). */
import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import type { AcceptedType } from '../storage/acceptedType.ts';

const ACCEPTED: Record<string, AcceptedType> = {
  'video/mp4': { mime: 'video/mp4', extension: 'mp4' },
  'video/webm': { mime: 'video/webm', extension: 'webm' },
};

export type VideoSniff = { accepted: AcceptedType } | { accepted: undefined; detected: string | undefined };

/** How many leading bytes sniffing needs (file-type reads at most this many). */
export const VIDEO_SNIFF_BYTES = 4100;

/** The accepted type, or undefined with what the bytes looked like instead. */
export async function sniffVideoFile(path: string): Promise<VideoSniff> {
  return judge(await fileTypeFromFile(path));
}

/** The same judgement from the first VIDEO_SNIFF_BYTES of a file (e.g. a Range GET of an object). */
export async function sniffVideoBytes(firstBytes: Uint8Array): Promise<VideoSniff> {
  return judge(await fileTypeFromBuffer(firstBytes));
}

function judge(detected: { mime: string; ext: string } | undefined): VideoSniff {
  const accepted = detected ? ACCEPTED[detected.mime] : undefined;
  if (accepted) return { accepted };
  return { accepted: undefined, detected: detected?.ext.toUpperCase() };
}
