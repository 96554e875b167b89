// BEFORE: the whole API is Express. The two routes marked "moving" are the ones `after.ts` replaces.
import express, { type Express } from 'express';
import { addRemainingRoutes } from './remaining-routes.js';
import { listUsers } from './users.js';

export function createBeforeApp(): Express {
  const app = express();

  // moving: GET /api/health
  app.get('/api/health', (_req, res) => {
    res.json({ ok: true });
  });

  // moving: GET /api/users
  app.get('/api/users', (req, res) => {
    res.json(listUsers(typeof req.query.team === 'string' ? req.query.team : null));
  });

  return addRemainingRoutes(app);
}
