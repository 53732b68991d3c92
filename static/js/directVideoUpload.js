// Progressive enhancement for the video form (data-direct-video-upload): a chosen video file
// goes straight from the browser to S3 as a multipart upload — parts signed one at a time by
// the app, 4 in flight, each retried up to 3 times — with a progress bar and a Cancel button;
// the app then completes it into a video, and the thumbnail follows the avatar's direct path.
// Link submissions, a 409 from start (S3 unavailable) or an upload that breaks midway post the
// form to the app as if this script did not exist. An upload interrupted by a closed tab, a
// reload or a crash resumes when the member picks the same file again: the app says which
// parts S3 has, and only the rest are sent (videoUploadResume.js keeps the hint). Needs
// directUpload.js and videoUploadResume.js loaded first.
(() => {
  const PARALLEL_PARTS = 4;
  const ATTEMPTS_PER_PART = 3;
  const { postJson, sendToBucket, sendThroughApp, followUpload } = window.videoVoteDirectUpload;
  const resume = window.videoVoteUploadResume;
  /** Refusals of the form itself: resuming would not help, and starting afresh would be refused the same way. */
  const FORM_REFUSALS = [413, 415, 422];

  class Cancelled extends Error {}
  class Unreadable extends Error {}

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /** PUTs one slice to its presigned URL; resolves to the part's ETag. */
  const putPart = (url, blob, onProgress, inFlight) =>
    new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      inFlight.add(request);
      request.open('PUT', url);
      request.upload.addEventListener('progress', (event) => onProgress(event.loaded));
      request.addEventListener('loadend', () => inFlight.delete(request));
      request.addEventListener('load', () => {
        if (request.status >= 300) return reject(new Error(`storage answered ${request.status}`));
        const etag = request.getResponseHeader('ETag');
        // Null when the bucket's CORS rule does not expose ETag: no retry can fix that.
        if (!etag) return reject(new Unreadable('the bucket does not expose the ETag header (CORS ExposeHeaders)'));
        resolve(etag);
      });
      request.addEventListener('error', () => reject(new Error('network error')));
      request.addEventListener('abort', () => reject(new Cancelled()));
      request.send(blob);
    });

  for (const form of document.querySelectorAll('form[data-direct-video-upload]')) {
    const progress = form.querySelector('progress');
    const status = form.querySelector('[data-upload-status]');
    const submitButton = form.querySelector('button[type=submit]');
    const cancelButton = form.querySelector('[data-upload-cancel]');
    const show = (text) => (status.textContent = text);
    const settle = (text) => {
      show(text);
      progress.hidden = true;
      cancelButton.hidden = true;
      submitButton.disabled = false;
    };

    form.addEventListener('submit', async (event) => {
      const file = form.querySelector('input[name=video]').files[0];
      if (!file) return;
      event.preventDefault();
      const thumbnailInput = form.querySelector('input[name=thumbnail]');
      const chosenThumbnail = thumbnailInput.files[0];
      // Checked and shrunk as the app's own upload would be (imagePrep.js), when loaded.
      const preparedThumbnail =
        chosenThumbnail && window.videoVoteImagePrep
          ? await window.videoVoteImagePrep.prepare(thumbnailInput, chosenThumbnail)
          : { file: chosenThumbnail };
      if (preparedThumbnail.error) return settle(preparedThumbnail.error);
      const thumbnail = preparedThumbnail.file;
      const csrfToken = form.querySelector('input[name=_csrf]').value;
      const field = (name) => form.querySelector(`[name=${name}]`).value;
      submitButton.disabled = true;

      const declared = {
        title: field('title'),
        description: field('description'),
        url: field('url'),
        contentType: file.type,
        size: file.size,
        thumbnail: thumbnail ? { contentType: thumbnail.type, size: thumbnail.size } : undefined,
      };
      const print = await resume.fingerprint(file).catch(() => undefined);
      const hint = print && (await resume.recall(file, print));
      let resumed;
      if (hint) {
        const answer = await postJson(
          '/uploads/videos/resume',
          { key: hint, ...declared, file: print },
          csrfToken,
        ).catch(() => ({ status: 0, data: {} }));
        if (FORM_REFUSALS.includes(answer.status)) return settle(answer.data.error);
        if (answer.ok) resumed = answer.data;
        // Expired, not this member's, or gone from S3: a fresh upload it is.
        else await resume.forget(file);
      }
      const started =
        resumed === undefined
          ? await postJson('/uploads/videos/start', { ...declared, file: print }, csrfToken).catch(() => ({
              status: 0,
            }))
          : { ok: true, data: resumed };
      if (started.status === 409 || started.status === 0) return sendThroughApp(form);
      if (!started.ok) return settle(started.data.error || 'That video was refused.');
      const { key, partBytes, partCount } = started.data;
      if (print && !resumed) await resume.remember(file, print, key);
      const alreadyStored = new Map((resumed?.parts ?? []).map((part) => [part.partNumber, part.etag]));

      const inFlight = new Set();
      let cancelled = false;
      const loaded = Array.from({ length: partCount }, (_, i) =>
        alreadyStored.has(i + 1) ? Math.min(partBytes, file.size - i * partBytes) : 0,
      );
      const report = () => {
        const fraction = loaded.reduce((sum, bytes) => sum + bytes, 0) / file.size;
        progress.value = fraction;
        show(`${resumed ? 'Resuming' : 'Uploading'}… ${Math.floor(fraction * 100)}%`);
      };
      const cancel = async () => {
        cancelled = true;
        for (const request of inFlight) request.abort();
        await postJson('/uploads/videos/abort', { key }, csrfToken).catch(() => undefined);
        await resume.forget(file);
      };
      cancelButton.onclick = async () => {
        cancelButton.disabled = true;
        await cancel();
        cancelButton.disabled = false;
        settle('Upload cancelled. Nothing was saved.');
      };
      progress.hidden = false;
      cancelButton.hidden = false;
      report();

      const uploadPart = async (partNumber) => {
        const blob = file.slice((partNumber - 1) * partBytes, Math.min(partNumber * partBytes, file.size));
        for (let attempt = 1; ; attempt++) {
          if (cancelled) throw new Cancelled();
          try {
            const signed = await postJson('/uploads/videos/parts', { key, partNumbers: [partNumber] }, csrfToken);
            if (!signed.ok) throw new Error(signed.data.error || `signing answered ${signed.status}`);
            if (cancelled) throw new Cancelled();
            return await putPart(
              signed.data.parts[0].url,
              blob,
              (bytes) => {
                loaded[partNumber - 1] = bytes;
                report();
              },
              inFlight,
            );
          } catch (error) {
            loaded[partNumber - 1] = 0;
            if (cancelled || error instanceof Cancelled) throw new Cancelled();
            if (error instanceof Unreadable || attempt >= ATTEMPTS_PER_PART) throw error;
            await sleep(500 * 2 ** (attempt - 1));
          }
        }
      };

      const etags = Array.from({ length: partCount }, (_, i) => alreadyStored.get(i + 1));
      const missing = etags.flatMap((etag, i) => (etag === undefined ? [i + 1] : []));
      const worker = async () => {
        for (let partNumber = missing.shift(); partNumber !== undefined; partNumber = missing.shift())
          etags[partNumber - 1] = await uploadPart(partNumber);
      };
      try {
        await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, missing.length) }, worker));
      } catch (error) {
        if (cancelled) return;
        // The direct path broke (network, CORS, storage): cancel it and send the form to the app instead.
        console.error(`Direct video upload failed (${error.message}); posting the form to the app instead.`);
        await cancel();
        return sendThroughApp(form);
      }
      if (cancelled) return;
      cancelButton.hidden = true;
      progress.value = 1;
      show('Uploaded 100%. Finishing…');
      const completed = await postJson(
        '/uploads/videos/complete',
        { key, parts: etags.map((etag, i) => ({ partNumber: i + 1, etag })) },
        csrfToken,
      ).catch(() => ({ ok: false, status: 0, data: {} }));
      // Only a network failure leaves the upload worth resuming; the app removed a refused one.
      if (completed.status !== 0) await resume.forget(file);
      if (!completed.ok) return settle(completed.data.error || 'The video could not be saved. Please try again.');

      if (thumbnail) {
        show('Uploaded 100%. Adding the thumbnail…');
        const refused = await sendThumbnail(thumbnail, completed.data.videoId, csrfToken);
        if (refused) {
          settle(
            `Your video was submitted, but the thumbnail was not added: ${refused} You can add one on the video's page.`,
          );
          const link = document.createElement('a');
          link.href = completed.data.redirect;
          link.textContent = ' Go to your video.';
          status.append(link);
          return;
        }
      }
      window.location.assign(completed.data.redirect);
    });
  }

  /** Sends the thumbnail of the new video the avatar's way; resolves to why it was refused, or undefined. */
  async function sendThumbnail(file, videoId, csrfToken) {
    try {
      const presign = await postJson(
        '/uploads/presign',
        { purpose: 'thumbnail', contentType: file.type, size: file.size, videoId },
        csrfToken,
      );
      if (!presign.ok) return presign.data.error || 'it was refused.';
      await sendToBucket(presign.data, file, () => undefined);
      const finalized = await postJson('/uploads/finalize', { key: presign.data.key, announce: false }, csrfToken);
      if (!finalized.ok) return finalized.data.error || 'it could not be processed.';
      // The worker makes the thumbnail's variants; the video's page shows it once they exist.
      const settled = await followUpload(finalized.data.statusUrl);
      return settled.state === 'refused' ? settled.refusal || 'it could not be processed.' : undefined;
    } catch {
      return 'storage could not be reached.';
    }
  }
})();
