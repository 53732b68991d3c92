// Vote forms (form[data-vote-form]) vote without reloading the page: the same POST, asking
// for JSON back ({ voted, voteCount }), then the button and count are updated in place. A
// refusal (too fast, logged out) is shown next to the button; when the request cannot be
// made at all the form is posted as if this script did not exist.
(() => {
  const update = (form, { voted, voteCount }) => {
    const scope = form.closest('.card-votes') || form;
    const button = form.querySelector('button[type=submit]');
    button.setAttribute('aria-pressed', voted ? 'true' : 'false');
    button.classList.toggle('voted', voted);
    for (const label of scope.querySelectorAll('[data-vote-label]'))
      label.textContent = voted ? label.dataset.voted || 'Voted' : label.dataset.unvoted || 'Vote';
    for (const count of scope.querySelectorAll('[data-vote-count], #vote-count')) count.textContent = String(voteCount);
    for (const noun of scope.querySelectorAll('[data-vote-noun]'))
      noun.textContent = voteCount === 1 ? 'vote' : 'votes';
  };

  const showRefusal = (form, text) => {
    let note = form.parentElement.querySelector('[data-vote-refusal]');
    if (!note) {
      note = document.createElement('p');
      note.className = 'field-error';
      note.setAttribute('role', 'alert');
      note.dataset.voteRefusal = '';
      form.parentElement.append(note);
    }
    note.textContent = text;
  };

  const enhance = () => {
    for (const form of document.querySelectorAll('form[data-vote-form]')) {
      if (form.dataset.voteBound) continue;
      form.dataset.voteBound = 'yes';
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const button = form.querySelector('button[type=submit]');
        button.disabled = true;
        try {
          const response = await fetch(form.action, {
            method: 'POST',
            headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams(new FormData(form)),
            credentials: 'same-origin',
          });
          const data = await response.json().catch(() => ({}));
          if (response.ok && typeof data.voted === 'boolean') {
            update(form, data);
            form.parentElement.querySelector('[data-vote-refusal]')?.remove();
          } else showRefusal(form, data.error || 'That vote did not count. Please try again.');
        } catch {
          form.submit();
        } finally {
          button.disabled = false;
        }
      });
    }
  };
  enhance();
  document.addEventListener('videovote:page', enhance);
})();
