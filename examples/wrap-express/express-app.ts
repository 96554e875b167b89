// An ordinary Express app — sessions, a JSON API and static files — that knows nothing about PAGI.
import { fileURLToPath } from 'node:url';
import express, { type ErrorRequestHandler, type Express } from 'express';
import session from 'express-session';

declare module 'express-session' {
  interface SessionData {
    views: number;
  }
}

interface Todo {
  id: number;
  title: string;
  done: boolean;
}

export function createExpressApp(): Express {
  const app = express();
  const todos: Todo[] = [];
  let nextId = 1;

  app.use(express.static(fileURLToPath(new URL('./public', import.meta.url))));
  app.use(session({ secret: process.env.SESSION_SECRET ?? 'wrap-express-demo', resave: false, saveUninitialized: false }));
  app.use(express.json({ limit: '16kb' }));

  app.get('/api/session', (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1;
    res.json({ views: req.session.views });
  });

  app.get('/api/todos', (_req, res) => {
    res.json(todos);
  });

  app.post('/api/todos', (req, res) => {
    const title: unknown = (req.body as { title?: unknown } | undefined)?.title;
    if (typeof title !== 'string' || title.trim() === '') {
      res.status(400).json({ error: 'title must be a non-empty string' });
      return;
    }
    const todo = { id: nextId++, title: title.trim(), done: false };
    todos.push(todo);
    res.status(201).location(`/api/todos/${todo.id}`).json(todo);
  });

  app.patch('/api/todos/:id', (req, res) => {
    const todo = todos.find((t) => t.id === Number(req.params.id));
    if (!todo) {
      res.sendStatus(404);
      return;
    }
    todo.done = Boolean((req.body as { done?: unknown } | undefined)?.done);
    res.json(todo);
  });

  // body-parser errors (malformed JSON, too large) carry a status; answer them as JSON.
  const onError: ErrorRequestHandler = (error: { status?: number; message?: string }, _req, res, _next) => {
    res.status(error.status ?? 500).json({ error: error.message ?? 'error' });
  };
  app.use(onError);

  return app;
}
