// The "legacy" Express app: sessions, a server-rendered page, a JSON API and static files.
// Nothing in here knows about PAGI; it is served through `fromExpress` unchanged.
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import session from 'express-session';
import type { ChatRoom } from './chat-room.js';
import { renderPage } from './page.js';

declare module 'express-session' {
  interface SessionData {
    name: string;
    visits: number;
  }
}

const publicDir = fileURLToPath(new URL('./public', import.meta.url));

export function createLegacyApp(room: ChatRoom): Express {
  const app = express();

  app.use('/static', express.static(publicDir, { maxAge: '1h' }));
  app.use(
    session({
      secret: process.env.SESSION_SECRET ?? 'pagi-demo-secret',
      resave: false,
      saveUninitialized: true,
      cookie: { httpOnly: true, sameSite: 'lax' },
    }),
  );

  app.get('/', async (req, res) => {
    req.session.name ??= `guest-${Math.floor(1000 + Math.random() * 9000)}`;
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.type('html').send(renderPage({ name: req.session.name, visits: req.session.visits, messages: await room.history() }));
  });

  app.get('/api/me', (req, res) => {
    res.json({ name: req.session.name ?? null, visits: req.session.visits ?? 0 });
  });

  app.get('/api/messages', async (_req, res) => {
    res.json(await room.history());
  });

  // Posting through the old JSON API reaches the WebSocket chat on every worker: both sides share the room.
  app.post('/api/messages', express.json({ limit: '10kb' }), async (req, res) => {
    const text: unknown = (req.body as { text?: unknown } | undefined)?.text;
    if (typeof text !== 'string' || text.trim() === '') {
      res.status(400).json({ error: 'text must be a non-empty string' });
      return;
    }
    res.status(201).json(await room.post(req.session.name ?? 'api', text));
  });

  return app;
}
