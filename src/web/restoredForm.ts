/**
 * A form refused because the member's session had lapsed comes back filled in after they log
 * in: requireUser puts what they typed into the login form (a hidden field, so nothing is
 * stored for an anonymous visitor), the login stores it in the new session, and the form's
 * page takes it once. Files cannot travel this way; the pages say so next to the field.
 */
import type { Request } from 'express';

const MAX_FIELDS = 8;
const MAX_VALUE_LENGTH = 4096;

/** The page that shows the form a POST came from, for `next` after login. */
export function formPageFor(postPath: string): string {
  const path = postPath.split('?')[0] ?? '';
  if (path === '/videos') return '/videos/new';
  const onVideo = /^\/videos\/(\d+)\/(?:thumbnail|vote)$/.exec(path);
  if (onVideo) return `/videos/${onVideo[1]}`;
  return '/profile';
}

/** What the login form carries: the typed text fields as JSON, without the stale token. */
export function encodeTypedFields(fields: Record<string, string>): string | undefined {
  const kept = Object.entries(fields).filter(([name, value]) => name !== '_csrf' && value !== '');
  return kept.length > 0 ? JSON.stringify(Object.fromEntries(kept)) : undefined;
}

/** Parses the login form's `restore` field; undefined for anything that is not a small object of strings. */
export function decodeTypedFields(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const entries = Object.entries(parsed);
  if (entries.length > MAX_FIELDS) return undefined;
  if (!entries.every(([, field]) => typeof field === 'string' && field.length <= MAX_VALUE_LENGTH)) return undefined;
  return Object.fromEntries(entries) as Record<string, string>;
}

/** The values typed into the form on `path`, once; undefined when there are none. */
export function takeRestoredForm(req: Request, path: string): Record<string, string> | undefined {
  const restored = req.session.restoredForm;
  if (!restored || restored.path !== path) return undefined;
  delete req.session.restoredForm;
  return restored.values;
}
