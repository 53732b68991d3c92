/**
 * Read models for video pages. Each query joins the files it needs so templates get keys and
 * locations up front: a page of 60 cards is one query and no storage I/O.
 */
import { sql } from 'kysely';
import type { AppDatabase } from '../db/database.ts';
import { imageRefColumn } from '../files/imageRefColumn.ts';
import type { ImageRef } from '../files/imageStorage.ts';

export interface VideoCard {
  id: number;
  title: string;
  voteCount: number;
  createdAt: Date;
  thumbnail: ImageRef | null;
  owner: { id: number; username: string; avatar: ImageRef | null };
}

export interface VideoDetails extends VideoCard {
  description: string;
  sourceUrl: string | null;
  file: (ImageRef & { contentType: string }) | null;
  /** The uploaded file's bytes vanished (see boot reconciliation); the page says so instead of a broken player. */
  fileLost: boolean;
  votedByViewer: boolean;
}

export const VIDEOS_PER_PAGE = 60;

function cardQuery(db: AppDatabase) {
  return db
    .selectFrom('videos')
    .innerJoin('users', 'users.id', 'videos.owner_id')
    .leftJoin('stored_files as thumb', 'thumb.id', 'videos.thumbnail_file_id')
    .leftJoin('stored_files as avatar', 'avatar.id', 'users.avatar_image_id')
    .select([
      'videos.id',
      'videos.title',
      'videos.vote_count',
      'videos.created_at',
      imageRefColumn('thumb').as('thumbnail'),
      'users.id as owner_id',
      'users.username',
      imageRefColumn('avatar').as('avatar'),
    ]);
}

type CardRow = {
  id: number;
  title: string;
  vote_count: number;
  created_at: Date;
  thumbnail: ImageRef | null;
  owner_id: number;
  username: string;
  avatar: ImageRef | null;
};

const ref = (key: string | null, location: ImageRef['location'] | null): ImageRef | null =>
  key && location ? { key, location } : null;

function toCard(row: CardRow): VideoCard {
  return {
    id: row.id,
    title: row.title,
    voteCount: row.vote_count,
    createdAt: row.created_at,
    thumbnail: row.thumbnail,
    owner: { id: row.owner_id, username: row.username, avatar: row.avatar },
  };
}

/** Most votes first; ties go to the newest. `page` starts at 1. */
export async function listRankedVideos(
  db: AppDatabase,
  page: number,
): Promise<{ videos: VideoCard[]; hasNextPage: boolean }> {
  const rows = await cardQuery(db)
    .orderBy('videos.vote_count', 'desc')
    .orderBy('videos.created_at', 'desc')
    .orderBy('videos.id', 'desc')
    .limit(VIDEOS_PER_PAGE + 1)
    .offset((page - 1) * VIDEOS_PER_PAGE)
    .execute();
  return { videos: rows.slice(0, VIDEOS_PER_PAGE).map(toCard), hasNextPage: rows.length > VIDEOS_PER_PAGE };
}

export async function listVideosByOwner(db: AppDatabase, ownerId: number): Promise<VideoCard[]> {
  const rows = await cardQuery(db)
    .where('videos.owner_id', '=', ownerId)
    .orderBy('videos.created_at', 'desc')
    .orderBy('videos.id', 'desc')
    .execute();
  return rows.map(toCard);
}

export async function findVideo(
  db: AppDatabase,
  id: number,
  viewerId: number | undefined,
): Promise<VideoDetails | undefined> {
  const row = await cardQuery(db)
    .leftJoin('stored_files as file', 'file.id', 'videos.video_file_id')
    .select([
      'videos.description',
      'videos.source_url',
      'file.key as file_key',
      'file.location as file_location',
      'file.content_type as file_content_type',
      'file.lost_at as file_lost_at',
      sql<boolean>`exists (select 1 from votes where votes.video_id = videos.id and votes.user_id = ${viewerId ?? -1})`.as(
        'voted',
      ),
    ])
    .where('videos.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const fileRef = row.file_lost_at ? null : ref(row.file_key, row.file_location);
  return {
    ...toCard(row),
    description: row.description,
    sourceUrl: row.source_url,
    file: fileRef && row.file_content_type ? { ...fileRef, contentType: row.file_content_type } : null,
    fileLost: row.file_lost_at !== null,
    votedByViewer: row.voted,
  };
}
