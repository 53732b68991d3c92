/** Why an upload is not an image we will store, with the status and the sentence for the member. */
export class ImageRejectedError extends Error {
  constructor(
    readonly status: 413 | 415 | 422,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ImageRejectedError';
  }
}
