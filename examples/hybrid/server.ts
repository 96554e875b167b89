import cluster from 'node:cluster';
import { createClient } from 'redis';
import { createClusterLayer, createRedisLayer, type ChannelLayer } from 'pagi/channels';
import { serve } from 'pagi/server';
import { createApp } from './app.js';
import { CHAT_HISTORY } from './chat-room.js';

// One process or WORKERS=N workers: the cluster layer (the chat goes through the primary).
// REDIS_URL=redis://…: the Redis layer, so several instances (on several PORTs or machines) share the chat.
let channels: ChannelLayer;
let release = async () => {};
if (process.env.REDIS_URL) {
  const client = createClient({ url: process.env.REDIS_URL });
  client.on('error', (error: Error) => console.error(`redis: ${error.message}`));
  await client.connect();
  channels = createRedisLayer({ client, history: CHAT_HISTORY });
  release = async () => void (await client.close());
} else {
  channels = createClusterLayer({ history: CHAT_HISTORY });
}

const server = await serve(createApp({ channels }), {
  host: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  workers: Number(process.env.WORKERS ?? 1),
  handleSignals: true, // SIGINT/SIGTERM: drain, close WebSockets and SSE streams, run lifespan shutdown, exit
});
const where = process.env.REDIS_URL ? `chat on Redis ${process.env.REDIS_URL}; ` : Number(process.env.WORKERS ?? 1) > 1 ? `${process.env.WORKERS} workers; ` : '';
// With workers, serve() resolves in the primary once every worker listens (and in each worker too).
if (cluster.isPrimary) console.log(`PAGI hybrid demo: listening on ${server.url} (${where}open it in a browser; Ctrl-C stops)`);
void server.closed.then(async () => {
  await channels.close();
  await release();
});
