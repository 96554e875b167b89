import { serve } from 'pagi/server';
import { createApp } from './app.js';

const server = await serve(createApp(), {
  host: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  handleSignals: true, // SIGINT/SIGTERM: drain, close WebSockets and SSE streams, run lifespan shutdown, exit
});
console.log(`PAGI hybrid demo: listening on ${server.url} (open it in a browser; Ctrl-C stops)`);
