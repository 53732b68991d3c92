/** The front page: videos ranked by votes, paginated, then the newest members. */
import type { RequestHandler } from 'express';
import type { AppDatabase } from '../db/database.ts';
import { listNewestMembers } from '../members/memberProfiles.ts';
import { createHomePageCache } from '../videos/homePageCache.ts';
import { listRankedVideos, VIDEOS_PER_PAGE } from '../videos/videoCatalog.ts';
import { Refusal } from '../refusals/refusal.ts';
import { withViewerVotes } from '../videos/votes.ts';

const MAX_PAGE = 10_000;
/**
 * A last resort only: other instances' writes arrive through the change feed (db/changeFeed.ts)
 * within milliseconds, or within 2 s while its connection is down.
 */
const HOME_PAGE_TTL_MS = 30_000;

export function createHomeHandlers({ db, writeGeneration }: { db: AppDatabase; writeGeneration: () => number }) {
  const homePage = createHomePageCache({
    async load(page) {
      const [{ videos, hasNextPage }, newestMembers] = await Promise.all([
        listRankedVideos(db, page),
        page === 1 ? listNewestMembers(db, 12) : Promise.resolve([]),
      ]);
      return { videos, hasNextPage, newestMembers };
    },
    generation: writeGeneration,
    ttlMs: HOME_PAGE_TTL_MS,
    cachedPages: 3,
  });
  const show: RequestHandler = async (req, res) => {
    const page = req.query.page === undefined ? 1 : Number(req.query.page);
    if (!Number.isInteger(page) || page < 1 || page > MAX_PAGE)
      throw new Refusal(400, `"page" must be a whole number from 1 to ${MAX_PAGE}.`);
    const cached = await homePage(page);
    const videos = await withViewerVotes(db, res.locals.currentUser?.id, cached.videos);
    // The goodbye after an account deletion (routes/profile.ts) lands here.
    if (req.session?.flash) {
      res.locals.flash = req.session.flash;
      delete req.session.flash;
    }
    res.render('pages/home.njk', { ...cached, videos, page, firstRank: (page - 1) * VIDEOS_PER_PAGE + 1 });
  };
  return { show };
}
