/**
 * JSON endpoints behind the direct-upload script (static/js/directUpload.js): sign a POST
 * policy, then finalize what the browser sent to S3. Both need a member and the CSRF token
 * (sent as X-CSRF-Token). Pages never depend on them: without JavaScript, or when these say
 * 409, the same forms post to the app as before.
 */
import express, { Router, type RequestHandler } from 'express';
import type { DirectUploadPurpose, DirectUploads } from '../uploads/directImageUploads.ts';
import { replacedMessage } from '../files/replaceImage.ts';
import type { ImageStorage } from '../files/imageStorage.ts';
import { requireUser, signedInUser } from '../web/currentUser.ts';

const PURPOSES: DirectUploadPurpose[] = ['avatar', 'thumbnail'];

export function createDirectUploadRoutes({
  directUploads,
  imageStorage,
  uploadLimit,
}: {
  directUploads: DirectUploads;
  imageStorage: ImageStorage;
  uploadLimit: RequestHandler;
}): Router {
  const router = Router();
  const json = express.json({ limit: '2kb' });

  router.post('/uploads/presign', requireUser, uploadLimit, json, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const purpose = PURPOSES.find((candidate) => candidate === body.purpose);
    if (!purpose || typeof body.contentType !== 'string' || typeof body.size !== 'number') {
      return res.status(400).json({ error: 'Send purpose (avatar or thumbnail), contentType and size.' });
    }
    const videoId = typeof body.videoId === 'number' ? body.videoId : null;
    const outcome = await directUploads.presign(signedInUser(res).id, {
      purpose,
      contentType: body.contentType,
      size: body.size,
      videoId,
    });
    if (!outcome.ok) return res.status(outcome.status).json({ error: outcome.error });
    res.json({ url: outcome.value.url, fields: outcome.value.fields, key: outcome.value.key });
  });

  router.post('/uploads/finalize', requireUser, json, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const key = body.key;
    if (typeof key !== 'string') return res.status(400).json({ error: 'Send the key of the upload to finalize.' });
    const outcome = await directUploads.finalize(signedInUser(res).id, key);
    if (!outcome.ok) return res.status(outcome.status).json({ error: outcome.error });
    const { result, page } = outcome.value;
    // announce: false when the image is one step of a larger submission (a new video's thumbnail) whose own message is pending.
    if (body.announce !== false)
      req.session.flash = replacedMessage(
        result.image.folder === 'avatars' ? 'Avatar' : 'Thumbnail',
        result,
        imageStorage.mode,
      );
    res.json({ redirect: page });
  });

  return router;
}
