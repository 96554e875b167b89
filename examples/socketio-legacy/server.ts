import { serve } from 'pagi/server';
import { app } from './app.js';

const server = await serve(app, {
  host: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  handleSignals: true, // SIGINT/SIGTERM: drain, close WebSockets (socket.io's too), run lifespan shutdown, exit
});
console.log(`socketio-legacy: listening on ${server.url}`);
