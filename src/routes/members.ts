/** Public member pages, with the member's videos. */
import { Router } from 'express';
import type { AppDatabase } from '../db/database.js';
import { findMemberByUsername } from '../members/memberProfiles.js';
import { listVideosByOwner } from '../videos/videoCatalog.js';
import { HttpError } from '../web/httpError.js';

export function createMemberRoutes({ db }: { db: AppDatabase }): Router {
  const router = Router();
  router.get('/users/:username', async (req, res) => {
    const member = await findMemberByUsername(db, req.params.username ?? '');
    if (!member) throw new HttpError(404, 'There is no member with that name.');
    res.render('pages/member.njk', { member, videos: await listVideosByOwner(db, member.id) });
  });
  return router;
}
