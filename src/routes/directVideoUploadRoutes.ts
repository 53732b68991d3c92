/**
 * JSON endpoints behind static/js/directVideoUpload.js: start a browser-to-S3 multipart
 * upload, resume an interrupted one, sign its part URLs, complete it into a video, or cancel it. All need a member and
 * the CSRF token (X-CSRF-Token); starting counts against the upload rate limit (one upload,
 * however many parts). Without JavaScript, or when start says 409, the form posts to
 * POST /videos as before. Refusals are answered as JSON by the route table's answerRefusalAsJson.
 */
import type { RequestHandler } from 'express';
import type { UploadedPart } from '../storage/multipartUploads.ts';
import type { DirectVideoUploads } from '../uploads/directVideoUploads.ts';
import { fingerprintFrom, type VideoUploadRequest } from '../uploads/videoUploadRequest.ts';
import { signedInUser } from '../web/currentUser.ts';

type Body = Record<string, unknown>;

const START_FIELDS =
  'Send title, description, contentType and size (thumbnail: { contentType, size } when there is one, and file: { name, lastModified, headSha256 } to make it resumable).';

/** The declared upload as JSON carried it; undefined when a field has the wrong type. */
function videoUploadRequestFrom(value: unknown): VideoUploadRequest | undefined {
  const body = (value ?? {}) as Body;
  const thumbnail = (body.thumbnail ?? undefined) as Body | undefined;
  if (
    typeof body.title !== 'string' ||
    typeof body.contentType !== 'string' ||
    typeof body.size !== 'number' ||
    (thumbnail && (typeof thumbnail.contentType !== 'string' || typeof thumbnail.size !== 'number'))
  )
    return undefined;
  const file = body.file === undefined ? undefined : fingerprintFrom(body.file);
  if (body.file !== undefined && !file) return undefined;
  return {
    title: body.title,
    description: typeof body.description === 'string' ? body.description : '',
    url: typeof body.url === 'string' ? body.url : undefined,
    contentType: body.contentType,
    size: body.size,
    thumbnail: thumbnail ? { contentType: thumbnail.contentType as string, size: thumbnail.size as number } : undefined,
    file,
  };
}

function partsFrom(value: unknown): UploadedPart[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const parts = value.map((item: unknown) => {
    const part = (item ?? {}) as Body;
    return typeof part.partNumber === 'number' && typeof part.etag === 'string'
      ? { partNumber: part.partNumber, etag: part.etag }
      : undefined;
  });
  return parts.every((part) => part !== undefined) ? parts : undefined;
}

export function createDirectVideoUploadHandlers({ directVideoUploads }: { directVideoUploads: DirectVideoUploads }) {
  const start: RequestHandler = async (req, res) => {
    const request = videoUploadRequestFrom(req.body);
    if (!request) return res.status(400).json({ error: START_FIELDS });
    res.json(await directVideoUploads.start(signedInUser(res).id, request));
  };

  const resume: RequestHandler = async (req, res) => {
    const request = videoUploadRequestFrom(req.body);
    const key = ((req.body ?? {}) as Body).key;
    if (!request || typeof key !== 'string' || !request.file)
      return res.status(400).json({ error: `Send the key of the upload, and ${START_FIELDS}` });
    res.json(await directVideoUploads.resume(signedInUser(res).id, key, request));
  };

  const signParts: RequestHandler = async (req, res) => {
    const body = (req.body ?? {}) as Body;
    if (typeof body.key !== 'string' || !Array.isArray(body.partNumbers))
      return res.status(400).json({ error: 'Send the key of the upload and the partNumbers to sign.' });
    const parts = await directVideoUploads.signParts(signedInUser(res).id, body.key, body.partNumbers as number[]);
    res.json({ parts });
  };

  const complete: RequestHandler = async (req, res) => {
    const body = (req.body ?? {}) as Body;
    const parts = partsFrom(body.parts);
    if (typeof body.key !== 'string' || !parts)
      return res.status(400).json({ error: 'Send the key of the upload and its parts ({ partNumber, etag }).' });
    const { videoId } = await directVideoUploads.complete(signedInUser(res).id, body.key, parts);
    req.session.flash = 'Video submitted.';
    res.json({ videoId, redirect: `/videos/${videoId}` });
  };

  const abort: RequestHandler = async (req, res) => {
    const key = ((req.body ?? {}) as Body).key;
    if (typeof key !== 'string') return res.status(400).json({ error: 'Send the key of the upload to cancel.' });
    await directVideoUploads.abort(signedInUser(res).id, key);
    res.json({ cancelled: true });
  };

  return { start, resume, signParts, complete, abort };
}
