// MODE=before serves the all-Express version on node:http; MODE=after (default) the migrated one on serve().
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from 'pagi/server';
import { createAfterApp } from './after.js';
import { createBeforeApp } from './before.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);

if (process.env.MODE === 'before') {
  const server = http.createServer(createBeforeApp());
  server.listen(port, host, () => {
    const { port: bound } = server.address() as AddressInfo;
    console.log(`migrate-route-by-route (before, Express): listening on http://${host}:${bound}`);
  });
  const shutdown = (): void => void server.close(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
} else {
  const server = await serve(createAfterApp(), { host, port, handleSignals: true });
  console.log(`migrate-route-by-route (after, PAGI + Express): listening on ${server.url}`);
}
