/** The tables, as Kysely sees them. Migrations in migrations.ts are the source of truth. */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type CreatedAt = ColumnType<Date, never, never>;

export interface UsersTable {
  id: Generated<number>;
  username: string;
  password_hash: string;
  avatar_image_id: number | null;
  created_at: CreatedAt;
}

export interface ImagesTable {
  id: Generated<number>;
  owner_id: number | null;
  folder: string;
  /** The object key, e.g. "avatars/u12-3f9a….jpg"; the same in every backend. */
  key: string;
  /** Where the bytes live now. URLs are computed from this at render time, never stored. */
  location: 's3' | 'local';
  content_type: string;
  bytes: number;
  sha256: string;
  created_at: CreatedAt;
}

export interface SessionsTable {
  sid: string;
  data: string;
  expires_at: Date;
}

export interface Database {
  users: UsersTable;
  images: ImagesTable;
  sessions: SessionsTable;
}

export type UserRow = Selectable<UsersTable>;
export type ImageRow = Selectable<ImagesTable>;
export type NewImageRow = Insertable<ImagesTable>;
