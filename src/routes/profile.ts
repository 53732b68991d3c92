/** The member's own profile: see the avatar, replace it, list their videos, leave. */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AppDatabase } from '../db/database.ts';
import { checkLogin } from '../members/accounts.ts';
import type { ImageStorage } from '../storage/imageStorage.ts';
import { replaceImage, replacedMessage } from '../storage/replaceImage.ts';
import { listVideosByOwner } from '../videos/videoCatalog.ts';
import { deleteAccount } from '../videos/videoRemoval.ts';
import { requireUser, signedInUser } from '../web/currentUser.ts';
import { CSRF_REFILLED_MESSAGE, hasValidCsrfToken } from '../web/csrf.ts';
import { createImageUploadReceiver } from '../web/receiveImageUpload.ts';
import { isShowableRefusal, refusalSentence, showRefusalOn } from '../web/showRefusal.ts';
import { countAsNoUpload } from '../web/memberRateLimit.ts';
import { withViewerVotes } from '../videos/votes.ts';

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

  const renderProfile = async (res: Response, status: number, errors: { avatarError?: string } = {}) => {
    const member = signedInUser(res);
    const videos = await withViewerVotes(db, member.id, await listVideosByOwner(db, member.id));
    res.status(status).render('pages/profile.njk', { member, videos, maxMegabytes, ...errors });
  };

  const renderDeleteConfirmation = async (res: Response, status: number, deleteError?: string) => {
    const member = signedInUser(res);
    const videoCount = (await listVideosByOwner(db, member.id)).length;
    res.status(status).render('pages/confirmDeleteAccount.njk', { member, videoCount, deleteError });
  };

  // The confirmation page: the profile's "Delete my account…" leads here without JavaScript.
  router.get('/profile/delete', requireUser, (_req, res) => renderDeleteConfirmation(res, 200));

  router.get('/profile', requireUser, async (req, res) => {
    res.locals.flash = req.session.flash;
    delete req.session.flash;
    await renderProfile(res, 200);
  });

  router.post('/profile/delete', requireUser, async (req, res, next) => {
    // A stale token shows the confirmation again, with a fresh one, instead of a dead end.
    if (!hasValidCsrfToken(req)) return renderDeleteConfirmation(res, 403, CSRF_REFILLED_MESSAGE);
    const member = signedInUser(res);
    const password = (req.body as Record<string, unknown> | undefined)?.password;
    const confirmed = typeof password === 'string' && (await checkLogin(db, member.username, password));
    if (!confirmed)
      return renderDeleteConfirmation(res, 403, 'That password is not right, so your account was not deleted.');
    await deleteAccount(db, imageStorage, member.id);
    // A new, anonymous session carries the goodbye to the front page.
    req.session.regenerate((error: unknown) => {
      if (error) return next(error);
      req.session.flash = `Your account “${member.username}” and everything in it (avatar, videos, thumbnails, votes) was deleted. Goodbye!`;
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
        if (isShowableRefusal(error)) return renderProfile(res, error.status, { avatarError: refusalSentence(error) });
        throw error;
      }
      if (!file || file.size === 0) {
        countAsNoUpload(res);
        return renderProfile(res, 400, { avatarError: 'Please choose an image file to upload.' });
      }

      const result = await replaceImage(imageStorage, { kind: 'avatar', userId: member.id }, file);
      if (!result.success) return renderProfile(res, result.status, { avatarError: result.error });
      req.session.flash = replacedMessage('Avatar', result, imageStorage.mode);
      res.redirect(303, '/profile');
    },
    showRefusalOn((_req, res, refusal) =>
      renderProfile(res, refusal.status, { avatarError: refusalSentence(refusal) }),
    ),
  );

  return router;
}
