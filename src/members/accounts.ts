/**
 * Member accounts: sign-up and password checks. Passwords are hashed with Argon2id (the
 * OWASP first choice) at its recommended minimum cost; usernames are unique regardless of case.
 */
import { hash, verify } from '@node-rs/argon2';
import { sql } from 'kysely';
import type { AppDatabase } from '../db/database.ts';
import type { UserRow } from '../db/schema.ts';

export const USERNAME_RULE = '3–30 characters: letters, digits, "_" or "-"';
const USERNAME_PATTERN = /^[A-Za-z0-9_-]{3,30}$/;
export const PASSWORD_MIN_LENGTH = 8;
const PASSWORD_MAX_LENGTH = 200;

// Verifying against this when the username is unknown keeps both paths equally slow,
// so response times do not reveal which usernames exist.
const DUMMY_HASH_PROMISE = hash('not-a-real-password');

export type FieldErrors = Partial<Record<'username' | 'password', string>>;

export function validateSignup(username: string, password: string): FieldErrors {
  const errors: FieldErrors = {};
  if (!USERNAME_PATTERN.test(username)) errors.username = `Usernames are ${USERNAME_RULE}.`;
  if (password.length < PASSWORD_MIN_LENGTH)
    errors.password = `Passwords need at least ${PASSWORD_MIN_LENGTH} characters.`;
  else if (password.length > PASSWORD_MAX_LENGTH)
    errors.password = `Passwords can be at most ${PASSWORD_MAX_LENGTH} characters.`;
  return errors;
}

export type SignupResult = { ok: true; user: UserRow } | { ok: false; errors: FieldErrors };

export async function createAccount(db: AppDatabase, username: string, password: string): Promise<SignupResult> {
  const errors = validateSignup(username, password);
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const passwordHash = await hash(password);
  const user = await db
    .insertInto('users')
    .values({ username, password_hash: passwordHash })
    // The unique index is on lower(username); a clash means the name is taken.
    .onConflict((oc) => oc.expression(sql`lower(username)`).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!user) return { ok: false, errors: { username: 'That username is taken. Please choose another.' } };
  return { ok: true, user };
}

/** The user when the password matches, otherwise undefined (same cost either way). */
export async function checkLogin(db: AppDatabase, username: string, password: string): Promise<UserRow | undefined> {
  const user = await findUserByUsername(db, username);
  if (password.length > PASSWORD_MAX_LENGTH) return undefined;
  const valid = await verify(user?.password_hash ?? (await DUMMY_HASH_PROMISE), password).catch(() => false);
  return user && valid ? user : undefined;
}

export async function findUserByUsername(db: AppDatabase, username: string): Promise<UserRow | undefined> {
  if (!USERNAME_PATTERN.test(username)) return undefined;
  return db.selectFrom('users').selectAll().where(sql`lower(username)`, '=', username.toLowerCase()).executeTakeFirst();
}
