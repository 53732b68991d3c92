/** The member's own profile: see the avatar, replace it, list their videos, leave. */
import type { Request, RequestHandler, Response } from 'express';
import type { AppDatabase } from '../db/database.ts';
import type { ImageStorage } from '../files/imageStorage.ts';
import { replaceImage, replacedMessage } from '../files/replaceImage.ts';
import { checkLogin } from '../members/accounts.ts';
import { avatarSlot } from '../members/avatarSlot.ts';
import { deleteAccount } from '../members/deleteAccount.ts';
import { megabytes, noImageChosen } from '../refusals/reasons.ts';
import { listVideosByOwner } from '../videos/videoCatalog.ts';
import { withViewerVotes } from '../videos/votes.ts';
import { signedInUser } from '../web/currentUser.ts';
import { CSRF_REFILLED_MESSAGE, hasValidCsrfToken } from '../web/csrf.ts';
import { countAsNoUpload } from '../web/memberRateLimit.ts';
import { createImageUploadReceiver } from '../web/receiveImageUpload.ts';
import { refusalSentence, showRefusalOn } from '../web/showRefusal.ts';

export function createProfileHandlers(deps: {
  db: AppDatabase;
  imageStorage: ImageStorage;
  maxImageBytes: number;
  /** Where avatar uploads are spooled while they are processed. */
  uploadTempDir: string;
}) {
  const { db, imageStorage, maxImageBytes } = deps;
  const withAvatarUpload = createImageUploadReceiver({
    field: 'avatar',
    maxBytes: maxImageBytes,
    tempDir: deps.uploadTempDir,
  });
  const maxMegabytes = megabytes(maxImageBytes);

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

  const show: RequestHandler = async (req, res) => {
    res.locals.flash = req.session.flash;
    delete req.session.flash;
    await renderProfile(res, 200);
  };

  /** The confirmation page: the profile's "Delete my account…" leads here without JavaScript. */
  const confirmDelete: RequestHandler = (_req, res) => renderDeleteConfirmation(res, 200);

  const deleteOwnAccount: RequestHandler = async (req, res, next) => {
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
  };

  /** Refusals (too large, not an image, storage down, stale form, rate limit, quota) are shown by showAvatarRefusal. */
  const replaceAvatar = async (req: Request, res: Response) => {
    const slot = avatarSlot(signedInUser(res).id);
    const stored = await withAvatarUpload(req, res, (file) => {
      if (!file || file.size === 0) {
        countAsNoUpload(res);
        throw noImageChosen('avatar');
      }
      return replaceImage(imageStorage, slot, file);
    });
    req.session.flash = replacedMessage(slot, stored, imageStorage.mode);
    res.redirect(303, '/profile');
  };

  const showAvatarRefusal = showRefusalOn((_req, res, refusal) =>
    renderProfile(res, refusal.status, { avatarError: refusalSentence(refusal) }),
  );

  return { show, confirmDelete, deleteOwnAccount, replaceAvatar, showAvatarRefusal };
}
