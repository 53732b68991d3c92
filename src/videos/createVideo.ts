/**
 * The one way a video comes to exist, for the form and for browser-to-S3 uploads alike: the
 * thumbnail (when there is one) is stored first — it is small and the likelier to be refused,
 * so a bad one never costs a video upload — then the video file is recorded and the videos row
 * inserted in ONE transaction (the files service's `attach`), so there is never a row without
 * its file or a file without its row. If anything fails, what was stored is deleted again and
 * the Refusal (or error) goes to the caller.
 */
import type { AppDatabase } from '../db/database.ts';
import type { ImageFile, ImageStorage, SpooledFile, StoredUpload, UploadOptions } from '../files/imageStorage.ts';

export interface NewVideo {
  ownerId: number;
  title: string;
  description: string;
  /** The link, for a video that is not a stored file. */
  sourceUrl: string | null;
}

/** The video's bytes: spooled by the form, or already whole in S3 under its final key (a direct upload). */
export type VideoFile =
  | { spooled: SpooledFile }
  | { inS3: { key: string; contentType: string; bytes: number; sha256: string } };

export interface CreatedVideo {
  videoId: number;
  /** What was stored, so the caller can say when it fell back to this server. */
  stored: StoredUpload[];
}

export async function createVideo(
  deps: { db: AppDatabase; imageStorage: ImageStorage },
  video: NewVideo,
  files: { thumbnail?: ImageFile; file?: VideoFile } = {},
): Promise<CreatedVideo> {
  const { db, imageStorage } = deps;
  const prefix = `u${video.ownerId}`;
  const thumbnail = files.thumbnail
    ? await imageStorage.uploadImage(files.thumbnail, 'thumbnails', prefix, video.ownerId)
    : undefined;
  const row = (videoFileId: number | null) => ({
    owner_id: video.ownerId,
    title: video.title,
    description: video.description,
    source_url: videoFileId === null ? video.sourceUrl : null,
    video_file_id: videoFileId,
    thumbnail_file_id: thumbnail?.file.id ?? null,
  });
  try {
    if (!files.file) {
      const inserted = await db.insertInto('videos').values(row(null)).returning('id').executeTakeFirstOrThrow();
      return { videoId: inserted.id, stored: thumbnail ? [thumbnail] : [] };
    }
    let videoId: number | undefined;
    const attach: UploadOptions = {
      attach: async (trx, file) => {
        const inserted = await trx.insertInto('videos').values(row(file.id)).returning('id').executeTakeFirstOrThrow();
        videoId = inserted.id;
      },
    };
    const stored =
      'spooled' in files.file
        ? await imageStorage.uploadVideo(files.file.spooled, prefix, video.ownerId, attach)
        : await imageStorage.recordVideoInS3(files.file.inS3, video.ownerId, attach);
    if (videoId === undefined) throw new Error('the video row was not inserted');
    return { videoId, stored: thumbnail ? [thumbnail, stored] : [stored] };
  } catch (error) {
    // Without the video row nothing points at the thumbnail; take it away again.
    if (thumbnail) await imageStorage.deleteFile(thumbnail.file.id);
    throw error;
  }
}
