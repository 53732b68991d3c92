// Upload forms (form[data-progress-upload]) are sent with XMLHttpRequest instead of a page
// load, so the member sees bytes sent, the percentage and the time left, can cancel, and
// cannot send twice. Images are checked and shrunk first (imagePrep.js). The server answers
// exactly as it would the plain form — a page — and that page replaces this one: the next
// page on success, the same form with the refusal in place otherwise, refilled with what was
// typed. Without JavaScript the plain form works the same way, minus the progress.
(() => {
  const formatBytes = (bytes) =>
    bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
  const formatSeconds = (seconds) =>
    seconds >= 90 ? `about ${Math.round(seconds / 60)} minutes` : `${Math.max(1, Math.round(seconds))} s`;

  /** Shows a refusal found before sending, the way the server shows one: under the field and in a summary. */
  function showFieldError(input, text) {
    let note = document.getElementById(`${input.id}-error`);
    if (!note) {
      note = document.createElement('p');
      note.className = 'field-error';
      note.id = `${input.id}-error`;
      note.setAttribute('role', 'alert');
      (input.nextElementSibling && input.nextElementSibling.tagName === 'SMALL'
        ? input.nextElementSibling
        : input
      ).after(note);
    }
    note.textContent = text;
    input.setAttribute('aria-invalid', 'true');
    const described = new Set((input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean));
    described.add(note.id);
    input.setAttribute('aria-describedby', [...described].join(' '));
    input.focus();
  }

  /** Replaces the page with the server's answer, as a navigation would. */
  function showPage(html, url, typed) {
    const next = new DOMParser().parseFromString(html, 'text/html');
    document.title = next.title;
    document.body.replaceWith(document.adoptNode(next.body));
    if (url) history.pushState({ videovote: true }, '', url);
    // What the member typed stays, even where the server could not read it back (a refused body).
    for (const [name, value] of typed) {
      const field = document.querySelector(`form[data-progress-upload] [name="${CSS.escape(name)}"]`);
      if (field && field.type !== 'file' && field.type !== 'hidden' && !field.value) field.value = value;
    }
    const summary = document.querySelector('[data-error-summary]');
    window.scrollTo(0, 0);
    (summary || document.getElementById('main'))?.focus();
    document.dispatchEvent(new Event('videovote:page'));
  }

  async function submitWithProgress(form) {
    const progress = form.querySelector('progress');
    const status = form.querySelector('[data-upload-status]');
    const submit = form.querySelector('button[type=submit]');
    const cancel = form.querySelector('[data-upload-cancel]');
    const show = (text) => {
      if (status) status.textContent = text;
    };
    const settle = (text) => {
      show(text);
      if (progress) progress.hidden = true;
      if (cancel) cancel.hidden = true;
      submit.disabled = false;
    };

    submit.disabled = true;
    const data = new FormData(form);
    let fileBytes = 0;
    const notes = [];
    for (const input of form.querySelectorAll('input[type=file]')) {
      const file = input.files?.[0];
      if (!file) continue;
      if (input.hasAttribute('data-image-prep') && window.videoVoteImagePrep) {
        show('Checking the image…');
        const prepared = await window.videoVoteImagePrep.prepare(input, file);
        if (prepared.error) {
          settle('');
          return showFieldError(input, prepared.error);
        }
        data.set(input.name, prepared.file, prepared.file.name);
        fileBytes += prepared.file.size;
        if (prepared.file !== file)
          notes.push(`photo shrunk from ${formatBytes(file.size)} to ${formatBytes(prepared.file.size)}`);
      } else {
        const maxBytes = Number(input.dataset.maxBytes);
        if (maxBytes > 0 && file.size > maxBytes) {
          settle('');
          return showFieldError(input, input.dataset.tooLarge);
        }
        fileBytes += file.size;
      }
    }
    const typed = [...data].filter(([, value]) => typeof value === 'string');
    // No file at all (a link submission): send it as a plain form, which is no upload.
    const body =
      fileBytes === 0 && ![...data].some(([, value]) => value instanceof File && value.size > 0)
        ? new URLSearchParams(typed)
        : data;

    const request = new XMLHttpRequest();
    request.open('POST', form.action);
    const started = performance.now();
    const suffix = notes.length ? ` (${notes.join('; ')})` : '';
    request.upload.addEventListener('progress', (event) => {
      if (!event.lengthComputable || event.total === 0) return;
      const fraction = event.loaded / event.total;
      const elapsed = (performance.now() - started) / 1000;
      const rate = elapsed > 0 ? event.loaded / elapsed : 0;
      if (progress) progress.value = fraction;
      const left =
        rate > 0 && event.loaded < event.total ? `, ${formatSeconds((event.total - event.loaded) / rate)} left` : '';
      show(
        `Sending… ${formatBytes(event.loaded)} of ${formatBytes(event.total)} (${Math.floor(fraction * 100)}%)${left}${suffix}`,
      );
    });
    request.upload.addEventListener('load', () => show(`Sent ${formatBytes(fileBytes || 1)}. Waiting for the server…`));
    request.addEventListener('load', () => {
      const landed =
        request.responseURL && new URL(request.responseURL).pathname !== new URL(form.action, location.href).pathname;
      if (!(request.getResponseHeader('content-type') || '').includes('text/html'))
        return settle(`The server answered ${request.status}. Please try again.`);
      showPage(request.responseText, landed ? request.responseURL : undefined, request.status >= 400 ? typed : []);
    });
    request.addEventListener('error', () =>
      settle(
        'The upload broke off before the server answered (the connection dropped, or the server refused the file). Nothing was saved; please try again.',
      ),
    );
    request.addEventListener('abort', () => settle('Upload cancelled. Nothing was saved.'));
    if (cancel) {
      cancel.hidden = false;
      cancel.disabled = false;
      cancel.onclick = () => request.abort();
    }
    if (progress && body === data) {
      progress.hidden = false;
      progress.value = 0;
    }
    show(body === data ? `Sending…${suffix}` : 'Sending…');
    request.send(body);
  }

  // Pages put here by showPage are history entries of their own; going back loads them afresh.
  window.addEventListener('popstate', () => location.reload());

  const enhance = () => {
    for (const form of document.querySelectorAll('form[data-progress-upload]')) {
      if (form.dataset.progressBound) continue;
      form.dataset.progressBound = 'yes';
      form.addEventListener('submit', (event) => {
        // The direct-to-S3 scripts handled it, or will post the form themselves.
        if (event.defaultPrevented) return;
        event.preventDefault();
        void submitWithProgress(form);
      });
    }
  };
  window.videoVoteFormUpload = { submit: submitWithProgress };
  enhance();
  document.addEventListener('videovote:page', enhance);
})();
