/** Paths holding a control character are a page that cannot exist (see refusals/controlCharacters.ts). */
import type { RequestHandler } from 'express';
import { hasControlCharacters } from '../refusals/controlCharacters.ts';
import { notFound } from './errorHandlers.ts';

/** Answers 404 for a path whose decoded form holds a control character, before any route reads it. */
export const refuseControlCharactersInPath: RequestHandler = (req, res, next) => {
  let decoded: string;
  try {
    decoded = decodeURIComponent(req.path);
  } catch {
    // Malformed percent-encoding: the router answers 400 for it itself.
    return next();
  }
  if (hasControlCharacters(decoded)) return notFound(req, res, next);
  next();
};
