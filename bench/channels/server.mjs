// A broadcast server for the channels scenario, run from the built package (dist/, through the
// package's own name): GET /events streams the group `bench` over SSE (streamGroupsToSSE), POST
// /publish publishes its JSON body to it. Environment: CHANNELS_LAYER memory | cluster | redis,
// REDIS_URL, WORKERS, PORT. Prints `listening on <url>` once (in the primary when there are workers).
import cluster from 'node:cluster';
import { createClient } from 'redis';
import { createClusterLayer, createMemoryLayer, createRedisLayer, streamGroupsToSSE, withChannels } from 'pagi/channels';
import { serve } from 'pagi/server';

const GROUP = 'bench';
// A deep queue: the scenario measures delivery, not the overflow policy.
const options = { queue: { size: 10_000 } };

let layer;
let client;
switch (process.env.CHANNELS_LAYER) {
  case 'cluster':
    layer = createClusterLayer(options);
    break;
  case 'redis':
    client = createClient({ url: process.env.REDIS_URL });
    client.on('error', (error) => console.error(`redis: ${error.message}`));
    await client.connect();
    layer = createRedisLayer({ ...options, client });
    break;
  default:
    layer = createMemoryLayer(options);
}

async function readBody(receive) {
  const chunks = [];
  for (;;) {
    const event = await receive();
    if (event.type !== 'http.request') return '';
    chunks.push(event.body);
    if (!event.more) return Buffer.concat(chunks).toString('utf8');
  }
}

const app = async (scope, receive, send) => {
  if (scope.type === 'lifespan') throw new Error('no lifespan');
  if (scope.type === 'sse') {
    await streamGroupsToSSE(scope, receive, send, { groups: [GROUP], keepalive: 0, queue: options.queue });
    return;
  }
  if (scope.type === 'http' && scope.method === 'POST') {
    await layer.publish(GROUP, JSON.parse(await readBody(receive)));
    await send({ type: 'http.response.start', status: 204 });
    await send({ type: 'http.response.body' });
    return;
  }
  await send({ type: 'http.response.start', status: 404 });
  await send({ type: 'http.response.body' });
};

const server = await serve(withChannels(app, layer), {
  host: '127.0.0.1',
  port: Number(process.env.PORT ?? 0),
  workers: Number(process.env.WORKERS ?? 1),
  accessLog: false,
  logLevel: 'warn',
  handleSignals: true,
});
if (cluster.isPrimary) console.log(`listening on ${server.url}`);
void server.closed.then(async () => {
  await layer.close();
  await client?.close();
});
