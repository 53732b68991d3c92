// A thumbnail for every video: when a member picks a video file and no thumbnail, this draws
// a frame of the video itself (a <video> element seeked to about 1 s, or 10% of a short clip,
// onto a canvas) and puts it in the thumbnail field as WebP (JPEG where the browser cannot
// encode WebP). From there it goes the normal thumbnail way — the form post or the direct
// upload — and is checked like any image; a submission made while the frame is still being
// drawn waits for it. No server-side decoder; without JavaScript, or when the browser cannot
// decode the file, the field stays empty and the placeholder stays.
(() => {
  const SEEK_SECONDS = 1;
  const GIVE_UP_MS = 10_000;
  const MAX_WIDTH = 1280;

  const waitFor = (element, event) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} in time`)), GIVE_UP_MS);
      element.addEventListener(
        event,
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
      element.addEventListener(
        'error',
        () => {
          clearTimeout(timer);
          reject(new Error('cannot decode'));
        },
        { once: true },
      );
    });

  const encode = (canvas, type) => new Promise((resolve) => canvas.toBlob(resolve, type, 0.85));

  /** Resolves to an image File showing a frame of `file`; rejects when the browser cannot decode it. */
  async function frameOf(file) {
    const url = URL.createObjectURL(file);
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.preload = 'auto';
    try {
      const loaded = waitFor(video, 'loadeddata');
      video.src = url;
      await loaded;
      // MediaRecorder files often report an Infinity duration: seek to 1 s, which the browser clamps.
      const duration = Number.isFinite(video.duration) ? video.duration : Number.POSITIVE_INFINITY;
      const seeked = waitFor(video, 'seeked');
      video.currentTime = Math.min(SEEK_SECONDS, duration * 0.1);
      await seeked;
      if (!video.videoWidth || !video.videoHeight) throw new Error('no picture');
      const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
      const canvas = document.createElement('canvas');
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
      let blob = await encode(canvas, 'image/webp');
      if (blob?.type !== 'image/webp') blob = await encode(canvas, 'image/jpeg');
      if (!blob) throw new Error('cannot encode');
      const name = `${file.name.replace(/\.[^.]*$/, '')}-frame.${blob.type === 'image/webp' ? 'webp' : 'jpg'}`;
      return new File([blob], name, { type: blob.type });
    } finally {
      video.removeAttribute('src');
      video.load();
      URL.revokeObjectURL(url);
    }
  }

  const enhance = () => {
    for (const form of document.querySelectorAll('form')) {
      const videoInput = form.querySelector('input[type=file][name=video]');
      const thumbnailInput = form.querySelector('input[type=file][name=thumbnail]');
      if (!videoInput || !thumbnailInput || form.dataset.frameThumbnail || typeof DataTransfer !== 'function') continue;
      form.dataset.frameThumbnail = 'yes';
      let generated = false;
      let pending;

      // A thumbnail the member picked always wins over a generated one.
      thumbnailInput.addEventListener('change', () => (generated = false));
      videoInput.addEventListener('change', () => {
        const file = videoInput.files[0];
        if (!file || (thumbnailInput.files.length > 0 && !generated)) return;
        const making = frameOf(file)
          .then((frame) => {
            if (videoInput.files[0] !== file || (thumbnailInput.files.length > 0 && !generated)) return;
            const transfer = new DataTransfer();
            transfer.items.add(frame);
            thumbnailInput.files = transfer.files;
            generated = true;
          })
          .catch((error) => console.info(`No thumbnail made from the video: ${error.message}`))
          .finally(() => {
            if (pending === making) pending = undefined;
          });
        pending = making;
      });

      // Capture phase, so this runs before the upload scripts' own submit listeners: while a
      // frame is still being made the submission waits for it, then starts again with it.
      form.addEventListener(
        'submit',
        (event) => {
          if (!pending) return;
          event.preventDefault();
          event.stopImmediatePropagation();
          pending.then(() => form.requestSubmit());
        },
        true,
      );
    }
  };
  enhance();
  // formUpload.js puts the server's answer (a refused form, say) in place of the page.
  document.addEventListener('videovote:page', enhance);
})();
