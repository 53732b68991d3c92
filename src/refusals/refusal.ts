/**
 * The one refusal type: why the app will not do what was asked — the HTTP status, the sentence
 * the member reads, and the form field(s) it belongs next to. It is made where the reason is
 * known (every reason has its maker in reasons.ts) and thrown; routes turn it into a status
 * and the form page (or JSON), the error handler into the error page. It sits below every
 * other folder so each layer may refuse in the same words.
 */
export class Refusal extends Error {
  readonly status: number;
  /** The form field the sentence belongs next to, when there is one. */
  readonly field: string | undefined;
  /** One sentence per form field, for forms that show several at once (the first is `field`). */
  readonly fields: Readonly<Record<string, string>> | undefined;

  constructor(
    status: number,
    message: string,
    options?: { cause?: unknown; field?: string; fields?: Record<string, string> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.fields = options?.fields ?? (options?.field ? { [options.field]: message } : undefined);
    this.field = options?.field ?? Object.keys(this.fields ?? {})[0];
    this.name = 'Refusal';
  }
}
