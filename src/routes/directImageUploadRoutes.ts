/**
 * JSON endpoints behind the direct-upload script (static/js/directUpload.js): sign a POST
 * policy, then finalize what the browser sent to S3. Both need a member and the CSRF token
 * (sent as X-CSRF-Token). Pages never depend on them: without JavaScript, or when these say
 * 409, the same forms post to the app as before. Refusals are answered as JSON by the route
 * table's answerRefusalAsJson. Finalize answers 202 as soon as the job is queued; the script
 * then polls the status URL (directUploadStatusRoutes.ts) until the worker has settled it.
 */
import type { RequestHandler } from 'express';
import type { DirectUploadPurpose, DirectUploads } from '../uploads/directImageUploads.ts';
import { signedInUser } from '../web/currentUser.ts';
import { statusUrl } from './directUploadStatusRoutes.ts';

const PURPOSES: DirectUploadPurpose[] = ['avatar', 'thumbnail'];

export function createDirectImageUploadHandlers({ directUploads }: { directUploads: DirectUploads }) {
  const presign: RequestHandler = async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const purpose = PURPOSES.find((candidate) => candidate === body.purpose);
    if (!purpose || typeof body.contentType !== 'string' || typeof body.size !== 'number') {
      return res.status(400).json({ error: 'Send purpose (avatar or thumbnail), contentType and size.' });
    }
    const videoId = typeof body.videoId === 'number' ? body.videoId : null;
    const signed = await directUploads.presign(signedInUser(res).id, {
      purpose,
      contentType: body.contentType,
      size: body.size,
      videoId,
    });
    res.json({ url: signed.url, fields: signed.fields, key: signed.key });
  };

  const finalize: RequestHandler = async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const key = body.key;
    if (typeof key !== 'string') return res.status(400).json({ error: 'Send the key of the upload to finalize.' });
    const { state, slot } = await directUploads.finalize(signedInUser(res).id, key);
    // The confirmation waits in the session until the page sees the upload stored (directUploadStatusRoutes.ts).
    // announce: false when the image is one step of a larger submission (a new video's thumbnail) whose own message is pending.
    if (body.announce !== false) req.session.pendingUploadFlash = { key, label: slot.label };
    res
      .status(202)
      .location(statusUrl(key))
      .json({ state, statusUrl: statusUrl(key), page: slot.page });
  };

  return { presign, finalize };
}
