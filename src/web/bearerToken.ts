/** Checks an `Authorization: Bearer <token>` header against a configured token in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** False when no token is configured, so an unset token never lets anyone in. */
export function hasBearerToken(req: Request, expected: string | undefined): boolean {
  if (expected === undefined) return false;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
  // Comparing digests keeps the time independent of the length and content of what was sent.
  return match !== null && timingSafeEqual(digest(match[1]!), digest(expected));
}
