// Checks a chosen image before it is sent, with the server's own sentences (carried on the
// input as data-too-large and data-wrong-type), and shrinks large photos in the browser: a
// 48-megapixel phone JPEG is decoded, turned upright (EXIF orientation) and re-encoded with
// its long edge at 2,560 px — more than the largest size the server keeps — so a phone sends
// a few hundred kilobytes instead of 15 MB. Whenever the browser cannot decode or encode the
// file, the original goes as it is. The server still checks everything.
(() => {
  const LONG_EDGE = 2560;
  const ACCEPTED = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif'];
  // GIFs may be animated and browsers cannot encode AVIF: those are sent as they are.
  const SHRINKABLE = ['image/jpeg', 'image/png', 'image/webp'];
  // Below this a file is sent whole even when its pixels exceed LONG_EDGE: re-encoding would save little.
  const SEND_WHOLE_BELOW_BYTES = 1024 * 1024;

  /** What the server would call a refused type, from the file's MIME type or name. */
  const typeName = (file) => {
    const fromName = (file.name.match(/\.([A-Za-z0-9]{2,5})$/) || [])[1];
    const fromMime = (file.type.split('/')[1] || '').replace(/^svg\+xml$/, 'svg').replace(/^x-/, '');
    return (fromMime || fromName || '').toLowerCase();
  };

  const wrongTypeSentence = (input, file) => {
    let sentences = {};
    try {
      sentences = JSON.parse(input.dataset.wrongType || '{}');
    } catch {}
    const name = typeName(file);
    const key = { heif: 'heic', jpg: 'jpeg', tif: 'tiff', 'svg+xml': 'svg' }[name] || name;
    return sentences[key] || sentences.other || 'That file is not an image we accept.';
  };

  const encode = (canvas, type) =>
    canvas.convertToBlob
      ? canvas.convertToBlob({ type, quality: 0.88 })
      : new Promise((resolve) => canvas.toBlob(resolve, type, 0.88));

  /** A smaller, upright copy of a large photo; the original when shrinking is impossible or gains nothing. */
  async function shrink(file) {
    if (
      !SHRINKABLE.includes(file.type) ||
      file.size < SEND_WHOLE_BELOW_BYTES ||
      typeof createImageBitmap !== 'function'
    )
      return file;
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    } catch {
      return file;
    }
    try {
      const scale = Math.min(1, LONG_EDGE / Math.max(bitmap.width, bitmap.height));
      const width = Math.max(1, Math.round(bitmap.width * scale));
      const height = Math.max(1, Math.round(bitmap.height * scale));
      const canvas =
        typeof OffscreenCanvas === 'function'
          ? new OffscreenCanvas(width, height)
          : Object.assign(document.createElement('canvas'), { width, height });
      canvas.getContext('2d').drawImage(bitmap, 0, 0, width, height);
      // PNG and WebP may be transparent: WebP keeps that, JPEG stays JPEG.
      const type = file.type === 'image/jpeg' ? 'image/jpeg' : 'image/webp';
      const blob = await encode(canvas, type);
      if (!blob || blob.type !== type || blob.size >= file.size) return file;
      const name = file.name.replace(/\.[^.]*$/, '') + (type === 'image/jpeg' ? '.jpg' : '.webp');
      return new File([blob], name, { type, lastModified: file.lastModified });
    } catch {
      return file;
    } finally {
      bitmap.close();
    }
  }

  /**
   * Resolves to { file } — the file to send, maybe shrunk — or { error } with the sentence the
   * server would answer, for the input's chosen file.
   */
  async function prepare(input, file) {
    if (file.type && !ACCEPTED.includes(file.type)) return { error: wrongTypeSentence(input, file) };
    if (!file.type && /\.(heic|heif|svg|tiff?|pdf)$/i.test(file.name)) return { error: wrongTypeSentence(input, file) };
    const prepared = await shrink(file);
    const maxBytes = Number(input.dataset.maxBytes);
    if (maxBytes > 0 && prepared.size > maxBytes) return { error: input.dataset.tooLarge };
    return { file: prepared, originalBytes: file.size };
  }

  window.videoVoteImagePrep = { prepare };
})();
