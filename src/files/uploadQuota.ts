/**
 * The daily upload quota (DAILY_UPLOAD_MB): bytes a member may upload in any 24 hours, counted
 * in upload_ledger, so it holds across instances and restarts. Checked before the body is read:
 * a member under the quota may finish the upload in progress (so the quota can be overshot
 * by at most one file), a member at or over it gets 429 with Retry-After set to the seconds
 * until their oldest counted upload leaves the window.
 */
import type { RequestHandler } from 'express';
import type { AppDatabase } from '../db/database.ts';
import { Refusal } from '../refusals/refusal.ts';
import { megabytes } from '../refusals/reasons.ts';

const WINDOW_MS = 24 * 60 * 60 * 1000;

export interface UploadQuota {
  /** Middleware for upload routes, after requireUser: passes, or fails with a 429 Refusal. */
  guard: RequestHandler;
  /** Counts a stored upload against the member's quota, and forgets their rows older than the window. */
  record(memberId: number, bytes: number): Promise<void>;
}

export function createUploadQuota({ db, dailyBytes }: { db: AppDatabase; dailyBytes: number }): UploadQuota {
  /** Bytes counted for the member in the last 24 hours, and when the oldest of them was counted. */
  async function usage(memberId: number) {
    const row = await db
      .selectFrom('upload_ledger')
      .select((eb) => [
        eb.fn.sum<string | number | null>('bytes').as('bytes'),
        eb.fn.min<Date | string | null>('created_at').as('oldest'),
      ])
      .where('member_id', '=', memberId)
      .where('created_at', '>', new Date(Date.now() - WINDOW_MS))
      .executeTakeFirst();
    return { bytes: Number(row?.bytes ?? 0), oldest: row?.oldest ? new Date(row.oldest) : undefined };
  }

  return {
    guard: async (_req, res, next) => {
      const member = res.locals.currentUser;
      if (!member) return next();
      const used = await usage(member.id);
      if (used.bytes < dailyBytes) return next();
      const frees = (used.oldest?.getTime() ?? Date.now()) + WINDOW_MS;
      const retryAfter = Math.max(1, Math.ceil((frees - Date.now()) / 1000));
      res.setHeader('Retry-After', String(retryAfter));
      const hours = Math.max(1, Math.ceil(retryAfter / 3600));
      next(
        new Refusal(
          429,
          `You have reached your daily upload limit of ${megabytes(dailyBytes)} MB. You can upload again in about ${hours} hour${hours === 1 ? '' : 's'}.`,
        ),
      );
    },
    async record(memberId, bytes) {
      await db.insertInto('upload_ledger').values({ member_id: memberId, bytes }).execute();
      await db
        .deleteFrom('upload_ledger')
        .where('member_id', '=', memberId)
        .where('created_at', '<', new Date(Date.now() - WINDOW_MS))
        .execute();
    },
  };
}
