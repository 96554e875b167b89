import { serve } from 'pagi/server';
import { app } from './app.js';

const server = await serve(app, {
  host: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  handleSignals: true, // SIGINT/SIGTERM: drain, close WebSockets and SSE streams, run lifespan shutdown, exit
});
console.log(`wrap-express: listening on ${server.url}`);
