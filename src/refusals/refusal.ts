/** A failure with the HTTP status and the sentence the member should read. */
export class HttpError extends Error {
  /** The form field the message belongs next to, when there is one. */
  readonly field: string | undefined;

  readonly status: number;
  constructor(status: number, message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options);
    this.status = status;
    this.field = options?.field;
    this.name = 'HttpError';
  }
}
