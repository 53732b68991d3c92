/** Submitting, watching, voting on and managing videos. */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import fs from 'node:fs/promises';
import type { AppDatabase } from '../db/database.ts';
import type { StartEarlyVideoUpload } from '../storage/earlyVideoUpload.ts';
import type { ImageStorage, UploadResult } from '../storage/imageStorage.ts';
import { replaceImage, replacedMessage } from '../storage/replaceImage.ts';
import { requireUser, signedInUser } from '../web/currentUser.ts';
import { requireCsrfToken } from '../web/csrf.ts';
import { HttpError } from '../web/httpError.ts';
import { createImageUploadReceiver } from '../web/receiveImageUpload.ts';
import { createVideoSubmissionReceiver, type VideoSubmission } from '../web/receiveVideoSubmission.ts';
import { isShowableRefusal, refusalSentence, showRefusalOn } from '../web/showRefusal.ts';
import { readLeadingFields } from '../web/leadingFields.ts';
import { countAsNoUpload } from '../web/memberRateLimit.ts';
import { takeRestoredForm } from '../web/restoredForm.ts';
import { removeSpooledFiles, whenSpoolingSettles } from '../web/tempFileStorage.ts';
import { megabytes } from '../web/uploadErrors.ts';
import { findVideo, type VideoDetails } from '../videos/videoCatalog.ts';
import { readVideoForm, validateVideoForm, type VideoFormErrors, type VideoFormValues } from '../videos/videoForm.ts';
import { deleteVideo } from '../videos/videoRemoval.ts';
import { toggleVote, voteCountOf } from '../videos/votes.ts';

export interface VideoRouteDeps {
  db: AppDatabase;
  imageStorage: ImageStorage;
  maxImageBytes: number;
  maxVideoBytes: number;
  uploadTempDir: string;
  uploadLimit: RequestHandler;
  startEarlyVideoUpload?: StartEarlyVideoUpload;
  voteLimit: RequestHandler;
}

function videoIdFrom(req: Request): number {
  const id = Number(req.params.id);
  if (!Number.isSafeInteger(id) || id <= 0) throw new HttpError(404, 'There is no such video.');
  return id;
}

export function createVideoRoutes({
  db,
  imageStorage,
  maxImageBytes,
  maxVideoBytes,
  uploadTempDir,
  uploadLimit,
  voteLimit,
  startEarlyVideoUpload,
}: VideoRouteDeps): Router {
  const router = Router();
  const receiveSubmission = createVideoSubmissionReceiver({
    maxImageBytes,
    maxVideoBytes,
    tempDir: uploadTempDir,
    startEarlyVideoUpload,
  });
  const receiveThumbnail = createImageUploadReceiver({ field: 'thumbnail', maxBytes: maxImageBytes });
  const limits = { maxImageMegabytes: megabytes(maxImageBytes), maxVideoMegabytes: megabytes(maxVideoBytes) };

  const renderForm = (res: Response, status: number, values: Partial<VideoFormValues>, errors: VideoFormErrors = {}) =>
    res.status(status).render('pages/videoNew.njk', { values, errors, ...limits });

  async function loadVideo(req: Request, res: Response): Promise<VideoDetails> {
    const video = await findVideo(db, videoIdFrom(req), res.locals.currentUser?.id);
    if (!video) throw new HttpError(404, 'There is no such video.');
    return video;
  }

  async function loadOwnVideo(req: Request, res: Response): Promise<VideoDetails> {
    const video = await loadVideo(req, res);
    if (video.owner.id !== signedInUser(res).id)
      throw new HttpError(403, 'Only the member who submitted this video can change it.');
    return video;
  }

  router.get('/videos/new', requireUser, (req, res) => {
    const restored = takeRestoredForm(req, '/videos/new');
    if (restored)
      res.locals.flash = 'You are logged in again. Here is what you typed; choose any files again, then send it.';
    renderForm(res, 200, restored ? readVideoForm(restored) : {});
  });

  // The last handler of each upload route shows refusals (rate limit, quota) on its form; it must
  // sit in the same route, because Express skips other routes once an error is pending.
  router.post(
    '/videos',
    requireUser,
    uploadLimit,
    async (req: Request, res: Response) => {
      const member = signedInUser(res);
      let submission: VideoSubmission | undefined;
      try {
        submission = await receiveSubmission(req, res);
      } catch (error) {
        await whenSpoolingSettles(req);
        if (isShowableRefusal(error)) {
          // Refused by its declared length, the body was never read: its leading text fields are, now.
          const values = readVideoForm(await readLeadingFields(req));
          return renderForm(res, error.status, values, { [error.field ?? 'video']: refusalSentence(error) });
        }
        throw error;
      }
      const spooled = [submission.thumbnail, submission.video].filter((file) => file !== undefined);
      try {
        const values = readVideoForm(submission.fields);
        const errors = validateVideoForm(values, submission.video !== undefined && submission.video.size > 0);
        // Refused uploads are cleaned up before the answer, so a member never sees a file that is about to vanish.
        if (Object.keys(errors).length > 0) {
          await removeSpooledFiles(spooled);
          countAsNoUpload(res);
          return renderForm(res, 422, values, errors);
        }
        if (spooled.every((file) => file.size === 0)) countAsNoUpload(res);

        const stored: UploadResult[] = [];
        const fail = async (field: 'video' | 'thumbnail', result: Extract<UploadResult, { success: false }>) => {
          for (const done of stored) if (done.success) await imageStorage.deleteImage(done.image.id);
          await removeSpooledFiles(spooled);
          return renderForm(res, result.status, values, { [field]: result.error });
        };

        // The thumbnail first: it is small and the likelier to be refused, so a bad one never costs a video upload.
        let thumbnailFileId: number | null = null;
        if (submission.thumbnail && submission.thumbnail.size > 0) {
          const result = await imageStorage.uploadImage(
            { buffer: await fs.readFile(submission.thumbnail.path) },
            'thumbnails',
            `u${member.id}`,
            member.id,
          );
          if (!result.success) return await fail('thumbnail', result);
          stored.push(result);
          thumbnailFileId = result.image.id;
        }
        let videoFileId: number | null = null;
        if (submission.video && submission.video.size > 0) {
          const result = await imageStorage.uploadVideo(submission.video, `u${member.id}`, member.id);
          if (!result.success) return await fail('video', result);
          stored.push(result);
          videoFileId = result.image.id;
        }

        const video = await db
          .insertInto('videos')
          .values({
            owner_id: member.id,
            title: values.title,
            description: values.description,
            source_url: videoFileId === null ? values.url : null,
            video_file_id: videoFileId,
            thumbnail_file_id: thumbnailFileId,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
          .catch(async (error: unknown) => {
            // Without the video row nothing points at the stored files; take them away again.
            for (const id of [videoFileId, thumbnailFileId]) if (id !== null) await imageStorage.deleteImage(id);
            throw error;
          });
        req.session.flash =
          stored.some((result) => result.success && result.location === 'local') && imageStorage.mode === 's3'
            ? 'Video submitted. (Cloud storage is unreachable right now, so its files are kept on this server for the moment.)'
            : 'Video submitted.';
        res.redirect(303, `/videos/${video.id}`);
      } finally {
        await removeSpooledFiles(spooled);
      }
    },
    showRefusalOn((req, res, refusal) =>
      readLeadingFields(req).then((fields) => {
        // The rate limit or quota refused it before the body was read; the file part is not wanted.
        res.setHeader('Connection', 'close');
        return renderForm(res, refusal.status, readVideoForm(fields), {
          [refusal.field ?? 'video']: refusalSentence(refusal),
        });
      }),
    ),
  );

  router.get('/videos/:id', async (req, res) => {
    const video = await loadVideo(req, res);
    res.locals.flash = req.session.flash;
    delete req.session.flash;
    res.render('pages/video.njk', { video, ...limits });
  });

  router.post('/videos/:id/vote', requireUser, voteLimit, requireCsrfToken, async (req, res) => {
    const videoId = videoIdFrom(req);
    const result = await toggleVote(db, videoId, signedInUser(res).id);
    if (!result) throw new HttpError(404, 'There is no such video.');
    // static/js/votes.js asks for JSON and updates the button in place.
    if (req.accepts(['html', 'json']) === 'json')
      return res.json({ voted: result.voted, voteCount: await voteCountOf(db, videoId) });
    const back = (req.body as Record<string, unknown> | undefined)?.back;
    res.redirect(303, typeof back === 'string' && /^\/(?![/\\])/.test(back) ? back : `/videos/${req.params.id}`);
  });

  router.post(
    '/videos/:id/thumbnail',
    requireUser,
    uploadLimit,
    async (req: Request, res: Response) => {
      const video = await loadOwnVideo(req, res);
      const renderVideo = (status: number, thumbnailError: string) =>
        res.status(status).render('pages/video.njk', { video, thumbnailError, ...limits });
      let file: Awaited<ReturnType<typeof receiveThumbnail>>;
      try {
        file = await receiveThumbnail(req, res);
      } catch (error) {
        if (isShowableRefusal(error)) return renderVideo(error.status, refusalSentence(error));
        throw error;
      }
      if (!file || file.size === 0) {
        countAsNoUpload(res);
        return renderVideo(400, 'Please choose an image file to upload.');
      }
      const result = await replaceImage(
        imageStorage,
        { kind: 'thumbnail', videoId: video.id, ownerId: video.owner.id },
        file,
      );
      if (!result.success) return renderVideo(result.status, result.error);
      req.session.flash = replacedMessage('Thumbnail', result, imageStorage.mode);
      res.redirect(303, `/videos/${video.id}`);
    },
    showRefusalOn(async (req, res, refusal) => {
      res.status(refusal.status).render('pages/video.njk', {
        video: await loadVideo(req, res),
        thumbnailError: refusalSentence(refusal),
        ...limits,
      });
    }),
  );

  // The confirmation page: the video page's "Delete this video…" leads here without JavaScript.
  router.get('/videos/:id/delete', requireUser, async (req, res) => {
    res.render('pages/confirmDeleteVideo.njk', { video: await loadOwnVideo(req, res) });
  });

  router.post('/videos/:id/delete', requireUser, requireCsrfToken, async (req, res) => {
    const video = await loadOwnVideo(req, res);
    await deleteVideo(db, imageStorage, video.id);
    req.session.flash = `“${video.title}” was deleted, with its thumbnail and votes.`;
    res.redirect(303, '/profile');
  });

  return router;
}
