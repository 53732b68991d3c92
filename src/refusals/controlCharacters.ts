/**
 * Control characters (C0 and DEL) nobody types into a form or a link. PostgreSQL refuses NUL
 * in text ("invalid byte sequence for encoding UTF8: 0x00"), so one in a field or a route
 * parameter became a 500 and an error in the log each time. Route parameters holding one are
 * a page that cannot exist (404); form fields get a sentence next to the field (422).
 */
const TAB = 0x09;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;

function isControl(code: number, multiline: boolean): boolean {
  if (multiline && (code === TAB || code === LINE_FEED || code === CARRIAGE_RETURN)) return false;
  return code < 0x20 || code === 0x7f;
}

/** True when the value holds a control character; `multiline` fields (a description) may keep tabs and line breaks. */
export function hasControlCharacters(value: string, { multiline = false } = {}): boolean {
  for (let i = 0; i < value.length; i++) if (isControl(value.charCodeAt(i), multiline)) return true;
  return false;
}

/** The value without its control characters, to show back what the member typed. */
export function withoutControlCharacters(value: string, { multiline = false } = {}): string {
  let kept = '';
  for (const char of value) if (!isControl(char.charCodeAt(0), multiline)) kept += char;
  return kept;
}

/** The sentence for a field, e.g. controlCharactersMessage('Titles'). */
export function controlCharactersMessage(what: string): string {
  return `${what} cannot contain control characters (such as a NUL byte or an escape code). Please remove them.`;
}
