/**
 * Sign up, log in, log out. Each login gets a fresh session id (no session fixation). A failed
 * login says the same thing whether the name exists or not; sign-up must say a name is taken,
 * so failed sign-ups share the per-IP throttle with failed logins (see loginThrottle).
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { AppDatabase } from '../db/database.ts';
import { CSRF_REFILLED_MESSAGE, hasValidCsrfToken, isCsrfRefusal } from '../web/csrf.ts';
import { decodeTypedFields } from '../web/restoredForm.ts';
import { checkLogin, createAccount, PASSWORD_MIN_LENGTH, USERNAME_RULE } from '../members/accounts.ts';
import { showRefusalOn } from '../web/showRefusal.ts';
import {
  controlCharactersMessage,
  hasControlCharacters,
  withoutControlCharacters,
} from '../refusals/controlCharacters.ts';

function field(req: Request, name: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** Only same-site paths, so `?next=` cannot send a member to another site after login. */
function safeNextPath(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) && !hasControlCharacters(value) ? value : '/profile';
}

function startSession(req: Request, userId: number): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.regenerate((error: unknown) => {
      if (error) return reject(error);
      req.session.userId = userId;
      resolve();
    });
  });
}

export const LOGIN_FAILED_MESSAGE = 'Wrong username or password.';

/** The sign-up and login forms check their own CSRF token, to show an expired form again filled in. */
export function createAuthHandlers({ db }: { db: AppDatabase }) {
  const rules = { usernameRule: USERNAME_RULE, passwordMin: PASSWORD_MIN_LENGTH };

  const showSignup: RequestHandler = (_req, res) => res.render('pages/signup.njk', { ...rules, values: {} });

  const signUp = async (req: Request, res: Response) => {
    const username = field(req, 'username').trim();
    const password = field(req, 'password');
    if (!hasValidCsrfToken(req)) {
      return res
        .status(403)
        .render('pages/signup.njk', { ...rules, values: { username }, errors: { form: CSRF_REFILLED_MESSAGE } });
    }
    // An empty field gets its own sentence, not the help text under it again.
    const missing = {
      ...(username === '' && { username: 'Enter a username.' }),
      ...(password === '' && { password: 'Enter a password.' }),
    };
    const result = Object.keys(missing).length > 0 ? undefined : await createAccount(db, username, password);
    if (!result?.ok) {
      return res
        .status(422)
        .render('pages/signup.njk', { ...rules, values: { username }, errors: result?.errors ?? missing });
    }
    await startSession(req, result.user.id);
    req.session.flash = `Welcome to VideoVote, ${result.user.username}! Add an avatar so people recognise you.`;
    res.redirect(303, '/profile');
  };

  /** The sign-up throttles' refusals, on the sign-up form with the name typed. */
  const showSignupRefusal = showRefusalOn((req, res, refusal) =>
    res.status(refusal.status).render('pages/signup.njk', {
      ...rules,
      values: { username: field(req, 'username').trim() },
      errors: { [refusal.field ?? 'username']: refusal.message },
    }),
  );

  const showLogin: RequestHandler = (req, res) =>
    res.render('pages/login.njk', { next: safeNextPath(req.query.next), values: {} });

  const logIn: RequestHandler = async (req, res) => {
    const username = field(req, 'username').trim();
    const next = safeNextPath(field(req, 'next'));
    const restoring = decodeTypedFields(field(req, 'restore'));
    const again = (status: number, error: string, typed = username) =>
      res.status(status).render('pages/login.njk', {
        error,
        next,
        values: { username: typed },
        restoring: restoring && JSON.stringify(restoring),
      });
    if (!hasValidCsrfToken(req)) return again(403, CSRF_REFILLED_MESSAGE);
    // A control character never matches an account, and PostgreSQL refuses NUL outright.
    if (hasControlCharacters(username))
      return again(422, controlCharactersMessage('Usernames'), withoutControlCharacters(username));
    const user = await checkLogin(db, username, field(req, 'password'));
    if (!user) return again(401, LOGIN_FAILED_MESSAGE);
    await startSession(req, user.id);
    if (restoring) req.session.restoredForm = { path: next, values: restoring };
    res.redirect(303, next);
  };

  const logOut: RequestHandler = (req, res, next) => {
    req.session.destroy((error: unknown) => {
      if (error) return next(error);
      res.clearCookie('vv.sid');
      res.redirect(303, '/');
    });
  };

  /**
   * Log out from a page whose token went stale (open for days, or from before a restart):
   * a member still signed in is asked once more with a fresh token, never logged out by a
   * request that may come from another site; a visitor already signed out is simply home.
   */
  const showLogoutRefusal: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (!isCsrfRefusal(error) || res.headersSent) return next(error);
    if (req.session?.userId === undefined) return res.redirect(303, '/');
    res.status(403).render('pages/logout.njk', {
      logoutError: 'This page had expired, so you are still logged in. Press Log out to log out now.',
    });
  };

  return { showSignup, signUp, showSignupRefusal, showLogin, logIn, logOut, showLogoutRefusal };
}
