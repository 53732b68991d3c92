/** Why an upload is not an image we will store, with the status and the sentence for the member. */
export class ImageRejectedError extends Error {
  readonly status: 413 | 415 | 422;

  constructor(status: 413 | 415 | 422, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.name = 'ImageRejectedError';
  }
}
