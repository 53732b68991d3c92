/**
 * Following a direct image upload after finalize answered 202:
 * - `GET /uploads/direct/status?key=…` — what the browser polls: `{ state, refusal?, page }`.
 *   Answered before the session middleware, so a poll costs one primary-key read and never
 *   writes (or touches) the session. The key itself is the credential: 128 random bits only
 *   the member's browser was given (by presign), and the answer reveals no more than its state.
 * - `GET /uploads/direct/done?key=…` — where the browser goes once the upload is stored: puts
 *   the confirmation in the member's flash (as the form route does) and redirects to the page.
 * - `showDirectUploadStates` — a guard for the pages that show an avatar or thumbnail: the
 *   member's unsettled or lately refused uploads, for the "processing" notice beside the image.
 */
import type { RequestHandler } from 'express';
import type { AppDatabase } from '../db/database.ts';
import type { ImageStorage } from '../files/imageStorage.ts';
import { replacedMessage } from '../files/replaceImage.ts';
import { readDirectImageUpload, slotUploadStates } from '../uploads/directUploadStatus.ts';

const IMAGE_UPLOAD_KEY = /^incoming\/u\d{1,12}\/[0-9a-f]{32}$/;

export const statusUrl = (key: string) => `/uploads/direct/status?key=${encodeURIComponent(key)}`;
export const doneUrl = (key: string) => `/uploads/direct/done?key=${encodeURIComponent(key)}`;

const LABELS: Record<string, string> = { avatar: 'Avatar', thumbnail: 'Thumbnail' };

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

  const done: RequestHandler = async (req, res) => {
    const key = keyOf(req.query);
    const upload = key ? await readDirectImageUpload(db, key) : undefined;
    if (!upload || upload.userId !== res.locals.currentUser?.id) return res.redirect(303, '/profile');
    const file =
      upload.status.state === 'stored' && upload.storedFileId !== null
        ? await db.selectFrom('stored_files').selectAll().where('id', '=', upload.storedFileId).executeTakeFirst()
        : undefined;
    if (file) {
      const stored = {
        url: imageStorage.getImageUrl(file, upload.purpose === 'avatar' ? 'avatars' : 'thumbnails'),
        location: file.location,
        file,
      };
      req.session.flash = replacedMessage({ label: LABELS[upload.purpose] ?? 'Image' }, stored, imageStorage.mode);
    }
    res.redirect(303, upload.status.page);
  };

  const showDirectUploadStates: RequestHandler = async (_req, res, next) => {
    const member = res.locals.currentUser;
    if (member) res.locals.directUploadStates = await slotUploadStates(db, member.id);
    next();
  };

  return { status, done, showDirectUploadStates };
}
