import { serve } from 'pagi/server';
import { createApp } from './app.js';

const keepaliveSeconds = Number(process.env.SSE_KEEPALIVE ?? 15);
const server = await serve(createApp({ keepaliveSeconds }), {
  host: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  handleSignals: true, // SIGINT/SIGTERM: drain, close WebSockets and SSE streams, run lifespan shutdown, exit
});
console.log(`sse: listening on ${server.url}`);
