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
import { signedInUser } from '../web/currentUser.ts';
import { createImageUploadReceiver } from '../web/receiveImageUpload.ts';
import { showRefusalOn } from '../web/showRefusal.ts';

export function createProfileHandlers(deps: { db: AppDatabase; imageStorage: ImageStorage; maxImageBytes: number }) {
  const { db, imageStorage, maxImageBytes } = deps;
  const receiveAvatar = createImageUploadReceiver({ field: 'avatar', maxBytes: maxImageBytes });
  const maxMegabytes = megabytes(maxImageBytes);

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

  const show: RequestHandler = async (req, res) => {
    res.locals.flash = req.session.flash;
    delete req.session.flash;
    await renderProfile(res, 200);
  };

  const deleteOwnAccount: RequestHandler = async (req, res, next) => {
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
  };

  /** Refusals (too large, not an image, storage down, rate limit, quota) are shown by showAvatarRefusal. */
  const replaceAvatar = async (req: Request, res: Response) => {
    const slot = avatarSlot(signedInUser(res).id);
    const file = await receiveAvatar(req, res);
    if (!file || file.size === 0) throw noImageChosen('avatar');
    const stored = await replaceImage(imageStorage, slot, file);
    req.session.flash = replacedMessage(slot, stored, imageStorage.mode);
    res.redirect(303, '/profile');
  };

  const showAvatarRefusal = showRefusalOn((_req, res, refusal) =>
    renderProfile(res, refusal.status, { avatarError: refusal.message }),
  );

  return { show, deleteOwnAccount, replaceAvatar, showAvatarRefusal };
}
