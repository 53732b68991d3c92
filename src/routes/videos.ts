/** Submitting, watching, voting on and managing videos. */
import type { Request, RequestHandler, Response } from 'express';
import fs from 'node:fs/promises';
import type { AppDatabase } from '../db/database.ts';
import type { StartEarlyVideoUpload } from '../files/earlyVideoUpload.ts';
import type { ImageStorage } from '../files/imageStorage.ts';
import { replaceImage, replacedMessage } from '../files/replaceImage.ts';
import { megabytes, noImageChosen, noSuchVideo, notYourVideo } from '../refusals/reasons.ts';
import { Refusal } from '../refusals/refusal.ts';
import { createVideo } from '../videos/createVideo.ts';
import { thumbnailSlot } from '../videos/thumbnailSlot.ts';
import { findVideo, type VideoDetails } from '../videos/videoCatalog.ts';
import { readVideoForm, validateVideoForm, type VideoFormErrors, type VideoFormValues } from '../videos/videoForm.ts';
import { deleteVideo } from '../videos/videoRemoval.ts';
import { toggleVote, voteCountOf } from '../videos/votes.ts';
import { signedInUser } from '../web/currentUser.ts';
import { allowLocalVideoPreview } from '../web/localVideoPreview.ts';
import { createImageUploadReceiver } from '../web/receiveImageUpload.ts';
import { createVideoSubmissionReceiver, type VideoSubmission } from '../web/receiveVideoSubmission.ts';
import { readLeadingFields } from '../web/leadingFields.ts';
import { countAsNoUpload } from '../web/memberRateLimit.ts';
import { isCsrfRefusal } from '../web/csrf.ts';
import { takeRestoredForm } from '../web/restoredForm.ts';
import { isShowableRefusal, refusalSentence, showRefusalOn, suggestRetry } from '../web/showRefusal.ts';
import { removeSpooledFiles, whenSpoolingSettles } from '../web/tempFileStorage.ts';

export interface VideoHandlerDeps {
  db: AppDatabase;
  imageStorage: ImageStorage;
  maxImageBytes: number;
  maxVideoBytes: number;
  uploadTempDir: string;
  startEarlyVideoUpload?: StartEarlyVideoUpload;
}

function videoIdFrom(req: Request): number {
  const id = Number(req.params.id);
  if (!Number.isSafeInteger(id) || id <= 0) throw noSuchVideo();
  return id;
}

export function createVideoHandlers({
  db,
  imageStorage,
  maxImageBytes,
  maxVideoBytes,
  uploadTempDir,
  startEarlyVideoUpload,
}: VideoHandlerDeps) {
  const receiveSubmission = createVideoSubmissionReceiver({
    maxImageBytes,
    maxVideoBytes,
    tempDir: uploadTempDir,
    startEarlyVideoUpload,
  });
  const withThumbnailUpload = createImageUploadReceiver({
    field: 'thumbnail',
    maxBytes: maxImageBytes,
    tempDir: uploadTempDir,
  });
  const limits = { maxImageMegabytes: megabytes(maxImageBytes), maxVideoMegabytes: megabytes(maxVideoBytes) };

  const renderForm = (
    res: Response,
    status: number,
    values: Partial<VideoFormValues>,
    errors: VideoFormErrors = {},
  ) => {
    suggestRetry(res, status);
    allowLocalVideoPreview(res);
    res.status(status).render('pages/videoNew.njk', { values, errors, ...limits });
  };

  async function loadVideo(req: Request, res: Response): Promise<VideoDetails> {
    const video = await findVideo(db, videoIdFrom(req), res.locals.currentUser?.id);
    if (!video) throw noSuchVideo();
    return video;
  }

  async function loadOwnVideo(req: Request, res: Response): Promise<VideoDetails> {
    const video = await loadVideo(req, res);
    if (video.owner.id !== signedInUser(res).id) throw notYourVideo();
    return video;
  }

  const showForm: RequestHandler = (req, res) => {
    const restored = takeRestoredForm(req, '/videos/new');
    if (restored)
      res.locals.flash = 'You are logged in again. Here is what you typed; choose any files again, then send it.';
    renderForm(res, 200, restored ? readVideoForm(restored) : {});
  };

  /** The form path of createVideo; every refusal is shown on the form with what was typed. */
  const submit = async (req: Request, res: Response) => {
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
    const values = readVideoForm(submission.fields);
    try {
      const hasFile = submission.video !== undefined && submission.video.size > 0;
      const errors = validateVideoForm(values, hasFile);
      if (Object.keys(errors).length > 0) {
        countAsNoUpload(res);
        throw new Refusal(422, Object.values(errors).join(' '), { fields: errors as Record<string, string> });
      }
      if (spooled.every((file) => file.size === 0)) countAsNoUpload(res);
      const thumbnail = submission.thumbnail && submission.thumbnail.size > 0 ? submission.thumbnail : undefined;
      const created = await createVideo(
        { db, imageStorage },
        { ownerId: member.id, title: values.title, description: values.description, sourceUrl: values.url },
        {
          thumbnail: thumbnail && { buffer: await fs.readFile(thumbnail.path) },
          file: hasFile && submission.video ? { spooled: submission.video } : undefined,
        },
      );
      // Before the answer, as for a refusal: a client that reads its 303 finds no temp file left behind.
      await removeSpooledFiles(spooled);
      req.session.flash =
        created.stored.some((stored) => stored.location !== 's3') && imageStorage.mode === 's3'
          ? 'Video submitted. (Cloud storage is unreachable right now, so its files are kept on this server for the moment.)'
          : 'Video submitted.';
      res.redirect(303, `/videos/${created.videoId}`);
    } catch (error) {
      // Refused uploads are cleaned up before the answer, so a member never sees a file that is about to vanish.
      await removeSpooledFiles(spooled);
      if (!isShowableRefusal(error)) throw error;
      renderForm(
        res,
        error.status,
        values,
        (error.fields as VideoFormErrors | undefined) ?? { video: refusalSentence(error) },
      );
    } finally {
      await removeSpooledFiles(spooled);
    }
  };

  /** Refusals before the body was read (rate limit, quota): the form again, with its leading fields. */
  const showSubmitRefusal = showRefusalOn((req, res, refusal) =>
    readLeadingFields(req).then((fields) => {
      // The file part is not wanted.
      res.setHeader('Connection', 'close');
      return renderForm(res, refusal.status, readVideoForm(fields), {
        [refusal.field ?? 'video']: refusalSentence(refusal),
      });
    }),
  );

  const show: RequestHandler = async (req, res) => {
    const video = await loadVideo(req, res);
    res.locals.flash = req.session.flash;
    delete req.session.flash;
    res.render('pages/video.njk', { video, ...limits });
  };

  const vote: RequestHandler = async (req, res) => {
    const videoId = videoIdFrom(req);
    const result = await toggleVote(db, videoId, signedInUser(res).id);
    if (!result) throw noSuchVideo();
    // static/js/votes.js asks for JSON and updates the button in place.
    if (req.accepts(['html', 'json']) === 'json')
      return res.json({ voted: result.voted, voteCount: await voteCountOf(db, videoId) });
    const back = (req.body as Record<string, unknown> | undefined)?.back;
    res.redirect(303, typeof back === 'string' && /^\/(?![/\\])/.test(back) ? back : `/videos/${req.params.id}`);
  };

  /**
   * A vote refused without JavaScript (a stale page's token, voting too fast): the video's
   * page again, with the status and the sentence next to its vote button and a fresh token,
   * so one more press counts. votes.js gets the same sentence as JSON.
   */
  const showVoteRefusal = showRefusalOn(async (req, res, refusal) => {
    const voteError = isCsrfRefusal(refusal)
      ? 'Your vote was not counted: the page had expired. It is fresh now — press Vote again.'
      : refusal.message;
    res.status(refusal.status).render('pages/video.njk', { video: await loadVideo(req, res), voteError, ...limits });
  });

  const replaceThumbnail = async (req: Request, res: Response) => {
    const video = await loadOwnVideo(req, res);
    const slot = thumbnailSlot(video.id, video.owner.id);
    const stored = await withThumbnailUpload(req, res, (file) => {
      if (!file || file.size === 0) {
        countAsNoUpload(res);
        throw noImageChosen('thumbnail');
      }
      return replaceImage(imageStorage, slot, file);
    });
    req.session.flash = replacedMessage(slot, stored, imageStorage.mode);
    res.redirect(303, slot.page);
  };

  const showThumbnailRefusal = showRefusalOn(async (req, res, refusal) => {
    res.status(refusal.status).render('pages/video.njk', {
      video: await loadVideo(req, res),
      thumbnailError: refusalSentence(refusal),
      ...limits,
    });
  });

  /** The confirmation page: the video page's "Delete this video…" leads here without JavaScript. */
  const confirmRemove: RequestHandler = async (req, res) => {
    res.render('pages/confirmDeleteVideo.njk', { video: await loadOwnVideo(req, res) });
  };

  const remove: RequestHandler = async (req, res) => {
    const video = await loadOwnVideo(req, res);
    await deleteVideo(db, imageStorage, video.id);
    req.session.flash = `“${video.title}” was deleted, with its thumbnail and votes.`;
    res.redirect(303, '/profile');
  };

  return {
    showForm,
    submit,
    showSubmitRefusal,
    show,
    showVoteRefusal,
    vote,
    replaceThumbnail,
    showThumbnailRefusal,
    confirmRemove,
    remove,
  };
}
