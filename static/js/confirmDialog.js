// Links to a confirmation page (a[data-confirm-dialog="<dialog id>"]) open the same
// confirmation in a <dialog> instead, when the browser has one. Without JavaScript the link
// leads to the page, which asks the same question with the same form.
(() => {
  const enhance = () => {
    for (const link of document.querySelectorAll('a[data-confirm-dialog]')) {
      if (link.dataset.dialogBound) continue;
      link.dataset.dialogBound = 'yes';
      const dialog = document.getElementById(link.dataset.confirmDialog);
      if (!dialog || typeof dialog.showModal !== 'function') continue;
      link.addEventListener('click', (event) => {
        event.preventDefault();
        dialog.showModal();
      });
      for (const close of dialog.querySelectorAll('[data-dialog-close]'))
        close.addEventListener('click', () => dialog.close());
      // Focus goes back to the link that opened it.
      dialog.addEventListener('close', () => link.focus());
    }
  };
  enhance();
  document.addEventListener('videovote:page', enhance);
})();
