// Progressive enhancement for image forms marked data-direct-upload: the file goes straight
// from the browser to S3 (with a progress bar) and the app only finalizes it. Whenever that
// path is unavailable — no S3, breaker open, a network hiccup — the form is submitted to the
// app as if this script did not exist.
(() => {
  const postJson = async (url, body, csrfToken) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrfToken },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
    const data = await response.json().catch(() => ({}));
    return { status: response.status, ok: response.ok, data };
  };

  const sendToBucket = (upload, file, onProgress) =>
    new Promise((resolve, reject) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
      form.append('file', file);
      const request = new XMLHttpRequest();
      request.open('POST', upload.url);
      request.upload.addEventListener(
        'progress',
        (event) => event.lengthComputable && onProgress(event.loaded / event.total),
      );
      request.addEventListener('load', () =>
        request.status < 300 ? resolve() : reject(new Error(`storage answered ${request.status}`)),
      );
      request.addEventListener('error', () => reject(new Error('network error')));
      request.send(form);
    });

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // Finalize answered 202: the worker processes the image. Polls the status (500 ms, then
  // backing off to 4 s) until it is stored or refused; resolves to the last status, never throws.
  const followUpload = async (statusUrl, giveUpMs = 60_000) => {
    const started = Date.now();
    let delay = 500;
    let last = { state: 'processing' };
    while (Date.now() - started < giveUpMs) {
      await sleep(delay);
      delay = Math.min(delay * 1.5, 4_000);
      try {
        const response = await fetch(statusUrl, {
          headers: { accept: 'application/json' },
          credentials: 'same-origin',
        });
        if (!response.ok) continue;
        last = await response.json();
        if (last.state === 'stored' || last.state === 'refused') return last;
      } catch {
        // A dropped poll: the next one asks again.
      }
    }
    return last;
  };
  const statusUrlOf = (key) => `/uploads/direct/status?key=${encodeURIComponent(key)}`;

  // The app's own upload (with progress, formUpload.js) when loaded, else the plain form.
  const sendThroughApp = (form) =>
    window.videoVoteFormUpload ? window.videoVoteFormUpload.submit(form) : form.submit();

  // Shared with directVideoUpload.js, which sends a video's thumbnail the same way.
  window.videoVoteDirectUpload = { postJson, sendToBucket, sendThroughApp, followUpload };

  for (const form of document.querySelectorAll('form[data-direct-upload]')) {
    form.addEventListener('submit', async (event) => {
      const input = form.querySelector('input[type=file]');
      const file = input?.files?.[0];
      if (!file) return;
      event.preventDefault();
      const csrfToken = form.querySelector('input[name=_csrf]').value;
      const progress = form.querySelector('progress');
      const status = form.querySelector('[data-upload-status]');
      const button = form.querySelector('button[type=submit]');
      const show = (text) => {
        if (status) status.textContent = text;
      };
      const fail = (text) => {
        show(text);
        if (progress) progress.hidden = true;
        if (button) button.disabled = false;
      };
      if (button) button.disabled = true;
      try {
        const videoId = form.dataset.videoId ? Number(form.dataset.videoId) : undefined;
        const presign = await postJson(
          '/uploads/presign',
          { purpose: form.dataset.directUpload, contentType: file.type, size: file.size, videoId },
          csrfToken,
        );
        if (presign.status === 409) return sendThroughApp(form);
        if (!presign.ok) return fail(presign.data.error || 'That upload was refused.');
        if (progress) {
          progress.hidden = false;
          progress.value = 0;
        }
        show('Uploading…');
        await sendToBucket(presign.data, file, (fraction) => {
          if (progress) progress.value = fraction;
          show(`Uploading… ${Math.round(fraction * 100)}%`);
        });
        if (progress) progress.value = 1;
        show('Uploaded 100%. Processing…');
        const key = presign.data.key;
        const finalized = await postJson('/uploads/finalize', { key }, csrfToken);
        if (!finalized.ok) return fail(finalized.data.error || 'The upload could not be processed.');
        const settled = await followUpload(finalized.data.statusUrl || statusUrlOf(key));
        if (settled.state === 'refused') return fail(settled.refusal || 'The upload could not be processed.');
        // Stored: the page shows the new image and the confirmation. Still processing: it says so and keeps watching.
        window.location.assign(finalized.data.page);
        return;
      } catch {
        // Direct upload broke midway (network, CORS, storage): the classic form still works.
        sendThroughApp(form);
      }
    });
  }

  // A page showing "being processed" (an upload finalized before this page loaded) follows it too.
  for (const notice of document.querySelectorAll('[data-direct-upload-status]')) {
    const key = notice.dataset.directUploadStatus;
    void followUpload(statusUrlOf(key), 10 * 60_000).then((settled) => {
      if (settled.state === 'stored' || settled.state === 'refused') window.location.reload();
    });
  }
})();
