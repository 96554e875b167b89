import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LifespanStartupFailed, serve } from 'pagi/server';
import { createApp } from './app.js';

const logPath = process.env.VISIT_LOG ?? join(tmpdir(), 'pagi-visits.log');

try {
  // serve() runs the lifespan startup before it listens, and the lifespan shutdown on SIGINT/SIGTERM.
  const server = await serve(createApp(logPath), {
    host: process.env.HOST ?? '127.0.0.1',
    port: Number(process.env.PORT ?? 3000),
    handleSignals: true,
  });
  console.log(`lifespan-state: listening on ${server.url}`);
} catch (error) {
  // The app answered `lifespan.startup.failed`: serve() rejects and never listens.
  if (!(error instanceof LifespanStartupFailed)) throw error;
  console.error(`lifespan-state: startup failed: ${error.message}`);
  process.exitCode = 1;
}
