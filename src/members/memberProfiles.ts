/** Read models for pages that show members: name plus where their avatar lives. */
import { sql } from 'kysely';
import type { AppDatabase } from '../db/database.js';
import type { ImageRef } from '../storage/imageStorage.js';

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
    .select(['users.id', 'users.username', 'users.created_at', 'avatar.key', 'avatar.location']);
}

type MemberRow = { id: number; username: string; created_at: Date; key: string | null; location: ImageRef['location'] | null };

function toSummary(row: MemberRow): MemberSummary {
  return {
    id: row.id,
    username: row.username,
    avatar: row.key && row.location ? { key: row.key, location: row.location } : null,
    joinedAt: row.created_at,
  };
}

export async function findMemberById(db: AppDatabase, id: number): Promise<MemberSummary | undefined> {
  const row = await memberQuery(db).where('users.id', '=', id).executeTakeFirst();
  return row && toSummary(row);
}

export async function findMemberByUsername(db: AppDatabase, username: string): Promise<MemberSummary | undefined> {
  const row = await memberQuery(db).where(sql`lower(users.username)`, '=', username.toLowerCase()).executeTakeFirst();
  return row && toSummary(row);
}

export async function listNewestMembers(db: AppDatabase, limit: number): Promise<MemberSummary[]> {
  const rows = await memberQuery(db).orderBy('users.created_at', 'desc').orderBy('users.id', 'desc').limit(limit).execute();
  return rows.map(toSummary);
}
