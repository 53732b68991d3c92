/**
 * Cookie sessions stored in the database (see DatabaseSessionStore): they survive restarts
 * and are shared by every instance. The cookie is HttpOnly, SameSite=Lax, and Secure in
 * production, where Render terminates TLS in front of the app.
 */
import session from 'express-session';
import type { RequestHandler } from 'express';
import type { DatabaseSessionStore } from '../db/sessionStore.ts';

declare module 'express-session' {
  interface SessionData {
    userId: number;
    csrfToken: string;
    flash: string;
    /** What a member typed into a form their lapsed session refused; the form page takes it once (web/restoredForm.ts). */
    restoredForm: { path: string; values: Record<string, string> };
  }
}

export function createSessionMiddleware(options: {
  store: DatabaseSessionStore;
  secret: string;
  secureCookies: boolean;
  trustProxy: boolean;
}): RequestHandler {
  return session({
    name: 'vv.sid',
    store: options.store,
    secret: options.secret,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    // Believe X-Forwarded-Proto exactly when the app trusts its proxy (TRUST_PROXY_HOPS).
    proxy: options.trustProxy,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: options.secureCookies,
      maxAge: 14 * 24 * 60 * 60 * 1000,
    },
  });
}
