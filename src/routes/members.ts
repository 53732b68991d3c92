/** Public member pages, with the member's videos. */
import { Router } from 'express';
import type { AppDatabase } from '../db/database.ts';
import { findMemberByUsername } from '../members/memberProfiles.ts';
import { listVideosByOwner } from '../videos/videoCatalog.ts';
import { HttpError } from '../web/httpError.ts';
import { withViewerVotes } from '../videos/votes.ts';

export function createMemberRoutes({ db }: { db: AppDatabase }): Router {
  const router = Router();
  router.get('/users/:username', async (req, res) => {
    const member = await findMemberByUsername(db, req.params.username ?? '');
    if (!member) throw new HttpError(404, 'There is no member with that name.');
    const videos = await withViewerVotes(db, res.locals.currentUser?.id, await listVideosByOwner(db, member.id));
    res.render('pages/member.njk', { member, videos });
  });
  return router;
}
