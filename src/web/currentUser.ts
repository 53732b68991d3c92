/** Loads the signed-in member for each request and guards the pages that need one. */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppDatabase } from '../db/database.ts';
import { findMemberById, type MemberSummary } from '../members/memberProfiles.ts';
import { readLeadingFields } from './leadingFields.ts';
import { encodeTypedFields, formPageFor } from './restoredForm.ts';

declare module 'express-serve-static-core' {
  interface Locals {
    currentUser?: MemberSummary;
  }
}

export function loadCurrentUser(db: AppDatabase): RequestHandler {
  return async (req, res, next) => {
    const userId = req.session?.userId;
    if (userId !== undefined) {
      const member = await findMemberById(db, userId);
      if (member) res.locals.currentUser = member;
      else delete req.session.userId;
    }
    next();
  };
}

/**
 * Runs before any body parsing on protected routes, so an anonymous upload is turned away
 * before a single file byte is read: pages redirect to the login form, other requests get 401.
 */
export function requireUser(req: Request, res: Response, next: NextFunction): void {
  if (res.locals.currentUser) {
    next();
    return;
  }
  if (req.method === 'GET') {
    res.redirect(`/login?next=${encodeURIComponent(req.originalUrl)}`);
    return;
  }
  // A lapsed session: the login form carries what was typed back to the form (web/restoredForm.ts).
  // The unread rest of the body (a file) is not wanted, so the connection closes after the answer.
  res.setHeader('Connection', 'close');
  readLeadingFields(req)
    .then((fields) =>
      res.status(401).render('pages/login.njk', {
        error: 'Please log in first.',
        next: formPageFor(req.originalUrl),
        restoring: encodeTypedFields(fields),
      }),
    )
    .catch(next);
}

export function signedInUser(res: Response): MemberSummary {
  const user = res.locals.currentUser;
  if (!user) throw new Error('signedInUser() used on a route without requireUser');
  return user;
}
