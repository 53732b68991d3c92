/** The front page. */
import { Router } from 'express';
import type { AppDatabase } from '../db/database.js';
import { listNewestMembers } from '../members/memberProfiles.js';

export function createHomeRoutes({ db }: { db: AppDatabase }): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    res.render('pages/home.njk', { newestMembers: await listNewestMembers(db, 24) });
  });
  return router;
}
