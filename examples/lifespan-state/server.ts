import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from 'pagi/server';
import { createApp } from './app.js';

const logPath = process.env.VISIT_LOG ?? join(tmpdir(), 'pagi-visits.log');

// serve() runs the lifespan startup before it listens, and the lifespan shutdown on SIGINT/SIGTERM.
const server = await serve(createApp(logPath), {
  host: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  handleSignals: true, // SIGINT/SIGTERM: drain, close WebSockets and SSE streams, run lifespan shutdown, exit
});
console.log(`lifespan-state: listening on ${server.url}`);
