import cluster from 'node:cluster';
import { serve } from 'pagi/server';
import { createApp } from './app.js';
import { layerFromEnv } from './layer.js';

const { layer, close } = await layerFromEnv();
const server = await serve(createApp(layer), {
  host: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  workers: Number(process.env.WORKERS ?? 1),
  handleSignals: true,
});
if (cluster.isPrimary) console.log(`channels example: listening on ${server.url} (${layer.kind} layer)`);
void server.closed.then(close);
