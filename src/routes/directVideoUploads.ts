/**
 * JSON endpoints behind static/js/directVideoUpload.js: start a browser-to-S3 multipart
 * upload, resume an interrupted one, sign its part URLs, complete it into a video, or cancel it. All need a member and
 * the CSRF token (X-CSRF-Token); starting counts against the upload rate limit (one upload,
 * however many parts). Without JavaScript, or when start says 409, the form posts to
 * POST /videos as before.
 */
import express, { Router, type RequestHandler } from 'express';
import type { DirectVideoUploads } from '../uploads/directVideoUploads.ts';
import { fingerprintFrom, type VideoUploadRequest } from '../uploads/videoUploadRequest.ts';
import type { Refusal } from '../uploads/directUploads.ts';
import type { UploadedPart } from '../storage/multipartUploads.ts';
import { requireUser, signedInUser } from '../web/currentUser.ts';

type Body = Record<string, unknown>;

const sendRefusal = (res: express.Response, refusal: Refusal) =>
  res.status(refusal.status).json({ error: refusal.error, ...(refusal.fields && { fields: refusal.fields }) });

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

export function createDirectVideoUploadRoutes({
  directVideoUploads,
  uploadLimit,
}: {
  directVideoUploads: DirectVideoUploads;
  uploadLimit: RequestHandler;
}): Router {
  const router = Router();
  const smallJson = express.json({ limit: '8kb' });
  // Up to 625 parts' ETags (5000 MB in 8 MiB parts).
  const partsJson = express.json({ limit: '64kb' });

  router.post('/uploads/videos/start', requireUser, uploadLimit, smallJson, async (req, res) => {
    const request = videoUploadRequestFrom(req.body);
    if (!request) return res.status(400).json({ error: START_FIELDS });
    const outcome = await directVideoUploads.start(signedInUser(res).id, request);
    if (!outcome.ok) return sendRefusal(res, outcome);
    res.json(outcome.value);
  });

  // Not rate-limited: it continues an upload that start already counted.
  router.post('/uploads/videos/resume', requireUser, smallJson, async (req, res) => {
    const request = videoUploadRequestFrom(req.body);
    const key = ((req.body ?? {}) as Body).key;
    if (!request || typeof key !== 'string' || !request.file)
      return res.status(400).json({ error: `Send the key of the upload, and ${START_FIELDS}` });
    const outcome = await directVideoUploads.resume(signedInUser(res).id, key, request);
    if (!outcome.ok) return sendRefusal(res, outcome);
    res.json(outcome.value);
  });

  router.post('/uploads/videos/parts', requireUser, smallJson, async (req, res) => {
    const body = (req.body ?? {}) as Body;
    if (typeof body.key !== 'string' || !Array.isArray(body.partNumbers))
      return res.status(400).json({ error: 'Send the key of the upload and the partNumbers to sign.' });
    const outcome = await directVideoUploads.signParts(signedInUser(res).id, body.key, body.partNumbers as number[]);
    if (!outcome.ok) return sendRefusal(res, outcome);
    res.json({ parts: outcome.value });
  });

  router.post('/uploads/videos/complete', requireUser, partsJson, async (req, res) => {
    const body = (req.body ?? {}) as Body;
    const parts = partsFrom(body.parts);
    if (typeof body.key !== 'string' || !parts)
      return res.status(400).json({ error: 'Send the key of the upload and its parts ({ partNumber, etag }).' });
    const outcome = await directVideoUploads.complete(signedInUser(res).id, body.key, parts);
    if (!outcome.ok) return sendRefusal(res, outcome);
    req.session.flash = 'Video submitted.';
    res.json({ videoId: outcome.value.videoId, redirect: `/videos/${outcome.value.videoId}` });
  });

  router.post('/uploads/videos/abort', requireUser, smallJson, async (req, res) => {
    const key = ((req.body ?? {}) as Body).key;
    if (typeof key !== 'string') return res.status(400).json({ error: 'Send the key of the upload to cancel.' });
    const outcome = await directVideoUploads.abort(signedInUser(res).id, key);
    if (!outcome.ok) return sendRefusal(res, outcome);
    res.json({ cancelled: true });
  });

  return router;
}
