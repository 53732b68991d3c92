/**
 * What the traffic generator hands back to the soak run: every request it made (status 0 when
 * none came back), every upload it tried with the answer it got, and the members and videos it
 * knows of, so the audit can check that each accepted upload is really there.
 */
import type { ReplyRecord } from '../support/httpMember.ts';

export type UploadKind = 'avatar-form' | 'avatar-direct' | 'video-form' | 'video-direct' | 'thumbnail';

export const UPLOAD_KINDS: readonly UploadKind[] = [
  'avatar-form',
  'avatar-direct',
  'video-form',
  'video-direct',
  'thumbnail',
];

export interface UploadAttempt {
  kind: UploadKind;
  member: string;
  /** Accepted: the member was told it is stored (303 to the page, or the JSON that says so). */
  accepted: boolean;
  /** The final answer's status (0: none came); for a direct upload, the step that ended it. */
  status: number;
  startedAt: number;
  endedAt: number;
  /** Videos (the id the answer named) and thumbnails (the video it was for). */
  videoId?: number;
  /** The video file's size, checked against the stored object. */
  videoBytes?: number;
  /** A video submitted with a thumbnail. */
  withThumbnail?: boolean;
  /** A direct upload the app or S3 turned away, sent through the ordinary form instead (as the page's script does). */
  viaForm?: boolean;
  /** The refusal's sentence or the client error, for the report. */
  why?: string;
}

/** Kept compact: there are tens of thousands of these in a 10-minute run. */
export type CompactReply = [status: number, startedAt: number, endedAt: number, method: string, path: string];

export interface TrafficReport {
  requests: CompactReply[];
  uploads: UploadAttempt[];
  members: string[];
  videoIds: number[];
}

export function compact(record: ReplyRecord): CompactReply {
  return [record.status, record.startedAt, record.endedAt, record.method, record.path];
}

export function expand([status, startedAt, endedAt, method, path]: CompactReply): ReplyRecord {
  return { status, startedAt, endedAt, method, path };
}
