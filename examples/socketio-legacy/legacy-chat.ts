// The legacy half, unchanged from a typical Express deployment: an Express app with a session login,
// `http.createServer(app)`, and socket.io attached to that server. Nothing here knows about PAGI.
import http from 'node:http';
import express, { type Request } from 'express';
import session from 'express-session';
import { Server as SocketIoServer } from 'socket.io';

declare module 'express-session' {
  interface SessionData {
    chatName: string;
  }
}

/** The server (not listening) and its socket.io instance, as the legacy code builds them. */
export interface LegacyChat {
  readonly server: http.Server;
  readonly io: SocketIoServer;
}

export function createLegacyChat(): LegacyChat {
  const sessions = session({
    secret: process.env.SESSION_SECRET ?? 'socketio-legacy-demo',
    resave: false,
    saveUninitialized: false,
  });

  const app = express();
  app.use(sessions);
  app.use(express.urlencoded({ extended: false, limit: '4kb' }));
  app.use(express.json({ limit: '4kb' }));

  app.post('/login', (req, res) => {
    const name: unknown = (req.body as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string' || !/^[\w-]{1,32}$/.test(name)) {
      res.status(400).json({ error: 'name must be 1-32 letters, digits, _ or -' });
      return;
    }
    req.session.chatName = name;
    res.json({ name });
  });

  app.get('/me', (req, res) => {
    if (req.session.chatName === undefined) res.status(401).json({ error: 'not logged in' });
    else res.json({ name: req.session.chatName });
  });

  const server = http.createServer(app);
  const io = new SocketIoServer(server);

  // As socket.io documents it: the session middleware runs on engine.io's handshake request, so the
  // cookie set by POST /login identifies the socket.io connection.
  io.engine.use(sessions);
  io.use((socket, next) => {
    const name = (socket.request as Request).session?.chatName;
    if (name === undefined) next(new Error('not logged in'));
    else next();
  });

  io.on('connection', (socket) => {
    const name = (socket.request as Request).session.chatName!;
    socket.emit('welcome', { name });
    socket.on('chat', (text: unknown) => {
      if (typeof text !== 'string' || text.length > 1000) return;
      io.emit('chat', { from: name, text });
    });
  });

  return { server, io };
}
