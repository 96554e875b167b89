// The routes that stay in Express for now. Both versions register exactly these.
import express, { type Express } from 'express';
import session from 'express-session';
import { users } from './users.js';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

/** The Express app's middleware stack and every route that has not been moved. */
export function addRemainingRoutes(app: Express): Express {
  app.use(session({ secret: process.env.SESSION_SECRET ?? 'migration-demo', resave: false, saveUninitialized: false }));
  app.use(express.json());

  app.post('/login', (req, res) => {
    const name: unknown = (req.body as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string' || !users.some((u) => u.name === name)) {
      res.status(401).json({ error: 'unknown user' });
      return;
    }
    req.session.user = name;
    res.json({ user: name });
  });

  app.get('/api/me', (req, res) => {
    res.json({ user: req.session.user ?? null });
  });

  app.get('/api/users/:id', (req, res) => {
    const user = users.find((u) => u.id === Number(req.params.id));
    if (!user) res.status(404).json({ error: 'no such user' });
    else res.json(user);
  });

  return app;
}
