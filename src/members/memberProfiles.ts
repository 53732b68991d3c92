/** Read models for pages that show members: name plus where their avatar lives. */
import { sql } from 'kysely';
import type { AppDatabase } from '../db/database.ts';
import { imageRefColumn } from '../files/imageRefColumn.ts';
import type { ImageRef } from '../files/imageStorage.ts';

export interface MemberSummary {
  id: number;
  username: string;
  avatar: ImageRef | null;
  joinedAt: Date;
}

function memberQuery(db: AppDatabase) {
  return db
    .selectFrom('users')
    .leftJoin('stored_files as avatar', 'avatar.id', 'users.avatar_image_id')
    .select(['users.id', 'users.username', 'users.created_at as joinedAt', imageRefColumn('avatar').as('avatar')]);
}

export async function findMemberById(db: AppDatabase, id: number): Promise<MemberSummary | undefined> {
  return memberQuery(db).where('users.id', '=', id).executeTakeFirst();
}

export async function findMemberByUsername(db: AppDatabase, username: string): Promise<MemberSummary | undefined> {
  return memberQuery(db).where(sql`lower(users.username)`, '=', username.toLowerCase()).executeTakeFirst();
}

export async function listNewestMembers(db: AppDatabase, limit: number): Promise<MemberSummary[]> {
  return memberQuery(db).orderBy('users.created_at', 'desc').orderBy('users.id', 'desc').limit(limit).execute();
}
