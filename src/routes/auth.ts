/**
 * Sign up, log in, log out. Each login gets a fresh session id (no session fixation). A failed
 * login says the same thing whether the name exists or not; sign-up must say a name is taken,
 * so failed sign-ups share the per-IP throttle with failed logins (see loginThrottle).
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AppDatabase } from '../db/database.ts';
import { checkLogin, createAccount, PASSWORD_MIN_LENGTH, USERNAME_RULE } from '../members/accounts.ts';
import { showRefusalOn } from '../web/showRefusal.ts';
import { controlCharactersMessage, hasControlCharacters, withoutControlCharacters } from '../web/controlCharacters.ts';

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

export function createAuthRoutes({
  db,
  throttle,
  signupLimit,
}: {
  db: AppDatabase;
  throttle: { perIp: RequestHandler; perAccount: RequestHandler };
  /** Sign-ups per IP, successful or not (signupThrottle.ts); runs first, so its refusals cost no login attempts. */
  signupLimit: RequestHandler;
}): Router {
  const router = Router();
  const rules = { usernameRule: USERNAME_RULE, passwordMin: PASSWORD_MIN_LENGTH };

  router.get('/signup', (_req, res) => res.render('pages/signup.njk', { ...rules, values: {} }));

  router.post(
    '/signup',
    signupLimit,
    throttle.perIp,
    async (req: Request, res: Response) => {
      const username = field(req, 'username').trim();
      const result = await createAccount(db, username, field(req, 'password'));
      if (!result.ok) {
        return res.status(422).render('pages/signup.njk', { ...rules, values: { username }, errors: result.errors });
      }
      await startSession(req, result.user.id);
      req.session.flash = `Welcome to VideoVote, ${result.user.username}! Add an avatar so people recognise you.`;
      res.redirect(303, '/profile');
    },
    showRefusalOn((req, res, refusal) =>
      res.status(refusal.status).render('pages/signup.njk', {
        ...rules,
        values: { username: field(req, 'username').trim() },
        errors: { [refusal.field ?? 'username']: refusal.message },
      }),
    ),
  );

  router.get('/login', (req, res) => res.render('pages/login.njk', { next: safeNextPath(req.query.next), values: {} }));

  router.post('/login', throttle.perIp, throttle.perAccount, async (req, res) => {
    const username = field(req, 'username').trim();
    // A control character never matches an account, and PostgreSQL refuses NUL outright.
    const user = hasControlCharacters(username) ? 'refused' : await checkLogin(db, username, field(req, 'password'));
    const next = safeNextPath(field(req, 'next'));
    if (user === 'refused') {
      const error = controlCharactersMessage('Usernames');
      return res
        .status(422)
        .render('pages/login.njk', { error, next, values: { username: withoutControlCharacters(username) } });
    }
    if (!user) {
      return res.status(401).render('pages/login.njk', { error: LOGIN_FAILED_MESSAGE, next, values: { username } });
    }
    await startSession(req, user.id);
    res.redirect(303, next);
  });

  router.post('/logout', (req, res, next) => {
    req.session.destroy((error: unknown) => {
      if (error) return next(error);
      res.clearCookie('vv.sid');
      res.redirect(303, '/');
    });
  });

  return router;
}
