/** Public member pages, with the member's videos. */
import type { RequestHandler } from 'express';
import type { AppDatabase } from '../db/database.ts';
import { findMemberByUsername } from '../members/memberProfiles.ts';
import { listVideosByOwner } from '../videos/videoCatalog.ts';
import { Refusal } from '../refusals/refusal.ts';
import { withViewerVotes } from '../videos/votes.ts';

export function createMemberHandlers({ db }: { db: AppDatabase }) {
  const show: RequestHandler = async (req, res) => {
    const member = await findMemberByUsername(db, String(req.params.username ?? ''));
    if (!member) throw new Refusal(404, 'There is no member with that name.');
    const videos = await withViewerVotes(db, res.locals.currentUser?.id, await listVideosByOwner(db, member.id));
    res.render('pages/member.njk', { member, videos });
  };
  return { show };
}
