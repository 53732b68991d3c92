/**
 * The text fields of a form whose body was not read — refused by its declared length (413),
 * by the rate limit (429) or for a lapsed session — so the form can come back filled in.
 * Forms send their text fields before their files, so reading stops at the first file part:
 * at most a few kilobytes are read, never the file. URL-encoded bodies are already parsed.
 */
import busboy from 'busboy';
import type { Request } from 'express';

const LIMITS = { fields: 8, fieldSize: 4096, fieldNameSize: 64, parts: 10, headerPairs: 100 };
/** A client that stops sending must not hold the answer. */
const WAIT_MS = 2_000;

export function readLeadingFields(req: Request): Promise<Record<string, string>> {
  const parsed = req.body as Record<string, unknown> | undefined;
  if (parsed && Object.keys(parsed).length > 0) return Promise.resolve(stringFields(parsed));
  if (!req.is('multipart/form-data') || req.readableDidRead || req.readableEnded) return Promise.resolve({});
  return new Promise((resolve) => {
    const fields: Record<string, string> = {};
    let parser: busboy.Busboy;
    const finish = () => {
      clearTimeout(timer);
      req.unpipe(parser);
      resolve(fields);
    };
    const timer = setTimeout(finish, WAIT_MS);
    try {
      parser = busboy({ headers: req.headers, limits: LIMITS });
    } catch {
      clearTimeout(timer);
      return resolve({});
    }
    parser.on('field', (name, value, info) => {
      if (!info.valueTruncated) fields[name] = value;
    });
    parser.on('file', (_name, stream) => {
      stream.resume();
      finish();
    });
    parser.on('close', finish);
    parser.on('error', finish);
    req.pipe(parser);
  });
}

function stringFields(body: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
