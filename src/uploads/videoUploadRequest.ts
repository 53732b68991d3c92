/**
 * What a browser declares when it starts (or resumes) a direct video upload, and the checks
 * both make before any video byte moves: the form's text, the declared type and size, and the
 * thumbnail's declared type and size. Resuming runs exactly these checks again, so a resumed
 * upload is held to the same rules as a fresh one; completing then checks the bytes themselves.
 */
import { fileTooLarge, notAcceptedImage, notAcceptedVideo } from '../refusals/reasons.ts';
import { Refusal } from '../refusals/refusal.ts';
import { readVideoForm, validateVideoForm } from '../videos/videoForm.ts';
import { DECLARED_IMAGE_TYPES } from './directImageUploads.ts';

const DECLARED_VIDEO_TYPES = ['video/mp4', 'video/webm'];

/** Which file the member picked, so that only the same file can resume the upload later. */
export interface FileFingerprint {
  name: string;
  /** File.lastModified: milliseconds since 1970. */
  lastModified: number;
  /** Hex SHA-256 of the file's first MiB (all of it when smaller). */
  headSha256: string;
}

export interface VideoUploadRequest {
  title: string;
  description: string;
  /** The form's link field: it must be empty when a file is uploaded. */
  url?: string;
  contentType: string;
  size: number;
  /** The thumbnail the member picked, checked by its declared type and size before any video byte moves. */
  thumbnail?: { contentType: string; size: number };
  /** Absent from older scripts: such an upload cannot be resumed. */
  file?: FileFingerprint;
}

/** A fingerprint as JSON carried it, or undefined when any part of it is malformed. */
export function fingerprintFrom(value: unknown): FileFingerprint | undefined {
  const candidate = (value ?? {}) as Record<string, unknown>;
  const { name, lastModified, headSha256 } = candidate;
  if (typeof name !== 'string' || name.length === 0 || name.length > 255) return undefined;
  if (typeof lastModified !== 'number' || !Number.isSafeInteger(lastModified) || lastModified < 0) return undefined;
  if (typeof headSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(headSha256)) return undefined;
  return { name, lastModified, headSha256 };
}

/** The form's title and description, cleaned; throws the Refusal a fresh start would meet. */
export function checkVideoUploadRequest(
  request: VideoUploadRequest,
  limits: { maxVideoBytes: number; maxImageBytes: number },
): { title: string; description: string } {
  const values = readVideoForm({ title: request.title, description: request.description, url: request.url ?? '' });
  const errors = validateVideoForm(values, true);
  if (Object.keys(errors).length > 0) throw new Refusal(422, Object.values(errors).join(' '), { fields: errors });
  if (!DECLARED_VIDEO_TYPES.includes(request.contentType)) throw notAcceptedVideo();
  if (!Number.isSafeInteger(request.size) || request.size <= 0)
    throw new Refusal(400, 'Please choose a video file to upload.', { field: 'video' });
  if (request.size > limits.maxVideoBytes) throw fileTooLarge('video', limits.maxVideoBytes);
  const thumbnail = request.thumbnail;
  if (thumbnail && !DECLARED_IMAGE_TYPES.includes(thumbnail.contentType)) throw notAcceptedImage('', 'thumbnail');
  if (thumbnail && thumbnail.size > limits.maxImageBytes) throw fileTooLarge('thumbnail', limits.maxImageBytes);
  return { title: values.title, description: values.description };
}
