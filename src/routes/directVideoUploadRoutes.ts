/**
 * JSON endpoints behind static/js/directVideoUpload.js: start a browser-to-S3 multipart
 * upload, sign its part URLs, complete it into a video, or cancel it. All need a member and
 * the CSRF token (X-CSRF-Token); starting counts against the upload rate limit (one upload,
 * however many parts). Without JavaScript, or when start says 409, the form posts to
 * POST /videos as before.
 */
import express, { Router, type RequestHandler } from 'express';
import type { DirectVideoUploads } from '../uploads/directVideoUploads.ts';
import type { Refusal } from '../uploads/directImageUploads.ts';
import type { UploadedPart } from '../storage/multipartUploads.ts';
import { requireUser, signedInUser } from '../web/currentUser.ts';

type Body = Record<string, unknown>;

const sendRefusal = (res: express.Response, refusal: Refusal) =>
  res.status(refusal.status).json({ error: refusal.error, ...(refusal.fields && { fields: refusal.fields }) });

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
    const body = (req.body ?? {}) as Body;
    const thumbnail = (body.thumbnail ?? undefined) as Body | undefined;
    if (
      typeof body.title !== 'string' ||
      typeof body.contentType !== 'string' ||
      typeof body.size !== 'number' ||
      (thumbnail && (typeof thumbnail.contentType !== 'string' || typeof thumbnail.size !== 'number'))
    ) {
      return res.status(400).json({
        error:
          'Send title, description, contentType and size (and thumbnail: { contentType, size } when there is one).',
      });
    }
    const outcome = await directVideoUploads.start(signedInUser(res).id, {
      title: body.title,
      description: typeof body.description === 'string' ? body.description : '',
      url: typeof body.url === 'string' ? body.url : undefined,
      contentType: body.contentType,
      size: body.size,
      thumbnail: thumbnail
        ? { contentType: thumbnail.contentType as string, size: thumbnail.size as number }
        : undefined,
    });
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
