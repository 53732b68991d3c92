/** The front page: videos ranked by votes, paginated, then the newest members. */
import { Router } from 'express';
import type { AppDatabase } from '../db/database.js';
import { listNewestMembers } from '../members/memberProfiles.js';
import { listRankedVideos, VIDEOS_PER_PAGE } from '../videos/videoCatalog.js';
import { HttpError } from '../web/httpError.js';

const MAX_PAGE = 10_000;

export function createHomeRoutes({ db }: { db: AppDatabase }): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const page = req.query.page === undefined ? 1 : Number(req.query.page);
    if (!Number.isInteger(page) || page < 1 || page > MAX_PAGE) throw new HttpError(400, `"page" must be a whole number from 1 to ${MAX_PAGE}.`);
    const [{ videos, hasNextPage }, newestMembers] = await Promise.all([
      listRankedVideos(db, page),
      page === 1 ? listNewestMembers(db, 12) : Promise.resolve([]),
    ]);
    res.render('pages/home.njk', { videos, hasNextPage, page, firstRank: (page - 1) * VIDEOS_PER_PAGE + 1, newestMembers });
  });
  return router;
}
