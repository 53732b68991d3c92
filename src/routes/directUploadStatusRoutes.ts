/**
 * Following a direct image upload after finalize answered 202:
 * - `GET /uploads/direct/status?key=…` — what the browser polls: `{ state, refusal?, page }`.
 *   Answered before the session middleware, so a poll costs one primary-key read and never
 *   writes (or touches) the session. The key itself is the credential: 128 random bits only
 *   the member's browser was given (by presign), and the answer reveals no more than its state.
 * - `showDirectUploadStates` — a guard for the pages that show an avatar or thumbnail: the
 *   member's unsettled or lately refused uploads, for the "processing" notice beside the image;
 *   and the confirmation finalize left pending in the session, turned into the page's flash
 *   once the upload is stored (dropped if it was refused). So the browser needs no extra
 *   request after the last poll: it simply opens the page.
 */
import type { Request, RequestHandler } from 'express';
import type { AppDatabase } from '../db/database.ts';
import type { ImageStorage } from '../files/imageStorage.ts';
import { replacedMessage } from '../files/replaceImage.ts';
import { readDirectImageUpload, slotUploadStates } from '../uploads/directUploadStatus.ts';

declare module 'express-session' {
  interface SessionData {
    /** The confirmation of a direct image upload still being processed (set by finalize). */
    pendingUploadFlash: { key: string; label: string };
  }
}

const IMAGE_UPLOAD_KEY = /^incoming\/u\d{1,12}\/[0-9a-f]{32}$/;

export const statusUrl = (key: string) => `/uploads/direct/status?key=${encodeURIComponent(key)}`;

function keyOf(query: unknown): string | undefined {
  const key = (query as Record<string, unknown> | undefined)?.key;
  return typeof key === 'string' && IMAGE_UPLOAD_KEY.test(key) ? key : undefined;
}

export function createDirectUploadStatusHandlers({
  db,
  imageStorage,
}: {
  db: AppDatabase;
  imageStorage: ImageStorage;
}) {
  const status: RequestHandler = async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const key = keyOf(req.query);
    const found = key ? await readDirectImageUpload(db, key) : undefined;
    if (!found) return res.status(404).json({ error: 'There is no such upload.' });
    res.json(found.status);
  };

  /** The pending confirmation becomes the flash once its upload is stored; a refused or vanished one is dropped. */
  async function settlePendingFlash(req: Request, memberId: number): Promise<void> {
    const pending = req.session.pendingUploadFlash;
    if (!pending) return;
    const upload = await readDirectImageUpload(db, pending.key);
    if (upload?.userId === memberId && upload.status.state === 'processing') return;
    delete req.session.pendingUploadFlash;
    const file =
      upload?.userId === memberId && upload.status.state === 'stored' && upload.storedFileId !== null
        ? await db.selectFrom('stored_files').selectAll().where('id', '=', upload.storedFileId).executeTakeFirst()
        : undefined;
    if (!file) return;
    const stored = {
      url: imageStorage.getImageUrl(file, file.folder === 'avatars' ? 'avatars' : 'thumbnails'),
      location: file.location,
      file,
    };
    req.session.flash = replacedMessage({ label: pending.label }, stored, imageStorage.mode);
  }

  const showDirectUploadStates: RequestHandler = async (req, res, next) => {
    const member = res.locals.currentUser;
    if (member) {
      await settlePendingFlash(req, member.id);
      res.locals.directUploadStates = await slotUploadStates(db, member.id);
    }
    next();
  };

  return { status, showDirectUploadStates };
}
