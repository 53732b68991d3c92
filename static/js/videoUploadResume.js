// What lets an interrupted direct video upload resume (used by directVideoUpload.js): a file's
// fingerprint — name, last-modified time and the SHA-256 of its first MiB — and, in IndexedDB,
// the key of the upload started for it. The key is only a hint: the app keeps the upload with
// its member and resumes it only for the same member and the same file. Anything unavailable
// (no IndexedDB in a private window, no crypto.subtle outside a secure context) means no
// resume, never a failed upload.
(() => {
  const HEAD_BYTES = 1024 * 1024;
  const DATABASE = 'videovote-uploads';
  const STORE = 'video-uploads';

  const hex = (buffer) => [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  const idOf = (file) => `${file.name}\u0000${file.size}\u0000${file.lastModified}`;

  /** Resolves to { name, lastModified, headSha256 }, or undefined when the browser cannot hash. */
  async function fingerprint(file) {
    if (!window.crypto?.subtle) return undefined;
    const head = await file.slice(0, HEAD_BYTES).arrayBuffer();
    return {
      name: file.name,
      lastModified: file.lastModified,
      headSha256: hex(await crypto.subtle.digest('SHA-256', head)),
    };
  }

  const open = () =>
    new Promise((resolve, reject) => {
      const request = indexedDB.open(DATABASE, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'id' });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });

  /** Runs one request on the store; resolves to its result, or undefined when IndexedDB fails. */
  async function withStore(mode, makeRequest) {
    try {
      const db = await open();
      return await new Promise((resolve, reject) => {
        const request = makeRequest(db.transaction(STORE, mode).objectStore(STORE));
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      }).finally(() => db.close());
    } catch {
      return undefined;
    }
  }

  window.videoVoteUploadResume = {
    fingerprint,
    /** The key of the upload started for this very file, if one was remembered. */
    async recall(file, print) {
      const saved = await withStore('readonly', (store) => store.get(idOf(file)));
      return saved && saved.headSha256 === print.headSha256 ? saved.key : undefined;
    },
    remember: (file, print, key) =>
      withStore('readwrite', (store) =>
        store.put({ id: idOf(file), key, headSha256: print.headSha256, savedAt: Date.now() }),
      ),
    forget: (file) => withStore('readwrite', (store) => store.delete(idOf(file))),
  };
})();
