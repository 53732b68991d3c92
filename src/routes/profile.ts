/** The member's own profile: see the avatar, replace it, list their videos, leave. */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AppDatabase } from '../db/database.ts';
import { checkLogin } from '../members/accounts.ts';
import type { ImageStorage } from '../files/imageStorage.ts';
import { replaceImage, replacedMessage } from '../files/replaceImage.ts';
import { listVideosByOwner } from '../videos/videoCatalog.ts';
import { deleteAccount } from '../videos/videoRemoval.ts';
import { requireUser, signedInUser } from '../web/currentUser.ts';
import { requireCsrfToken } from '../web/csrf.ts';
import { HttpError } from '../refusals/refusal.ts';
import { createImageUploadReceiver } from '../web/receiveImageUpload.ts';
import { showRefusalOn } from '../web/showRefusal.ts';

export function createProfileRoutes(deps: {
  db: AppDatabase;
  imageStorage: ImageStorage;
  maxImageBytes: number;
  uploadLimit: RequestHandler;
}): Router {
  const { db, imageStorage, maxImageBytes } = deps;
  const router = Router();
  const receiveAvatar = createImageUploadReceiver({ field: 'avatar', maxBytes: maxImageBytes });
  const maxMegabytes = Math.round((maxImageBytes / (1024 * 1024)) * 10) / 10;

  const renderProfile = async (
    res: Response,
    status: number,
    errors: { avatarError?: string; deleteError?: string } = {},
  ) => {
    const member = signedInUser(res);
    res
      .status(status)
      .render('pages/profile.njk', { member, videos: await listVideosByOwner(db, member.id), maxMegabytes, ...errors });
  };

  router.get('/profile', requireUser, async (req, res) => {
    res.locals.flash = req.session.flash;
    delete req.session.flash;
    await renderProfile(res, 200);
  });

  router.post('/profile/delete', requireUser, requireCsrfToken, async (req, res, next) => {
    const member = signedInUser(res);
    const password = (req.body as Record<string, unknown> | undefined)?.password;
    const confirmed = typeof password === 'string' && (await checkLogin(db, member.username, password));
    if (!confirmed)
      return renderProfile(res, 403, { deleteError: 'That password is not right, so your account was not deleted.' });
    await deleteAccount(db, imageStorage, member.id);
    req.session.destroy((error: unknown) => {
      if (error) return next(error);
      res.clearCookie('vv.sid');
      res.redirect(303, '/');
    });
  });

  // The last handler shows refusals (rate limit, quota) on the form; it must sit in the same
  // route, because Express skips other routes once an error is pending.
  router.post(
    '/profile/avatar',
    requireUser,
    deps.uploadLimit,
    async (req: Request, res: Response) => {
      const member = signedInUser(res);
      let file: Awaited<ReturnType<typeof receiveAvatar>>;
      try {
        file = await receiveAvatar(req, res);
      } catch (error) {
        if (error instanceof HttpError && error.status !== 403)
          return renderProfile(res, error.status, { avatarError: error.message });
        throw error;
      }
      if (!file || file.size === 0)
        return renderProfile(res, 400, { avatarError: 'Please choose an image file to upload.' });

      const result = await replaceImage(imageStorage, { kind: 'avatar', userId: member.id }, file);
      if (!result.success) return renderProfile(res, result.status, { avatarError: result.error });
      req.session.flash = replacedMessage('Avatar', result, imageStorage.mode);
      res.redirect(303, '/profile');
    },
    showRefusalOn((_req, res, refusal) => renderProfile(res, refusal.status, { avatarError: refusal.message })),
  );

  return router;
}
