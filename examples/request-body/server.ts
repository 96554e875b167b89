import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeListener } from 'pagi';
import { createApp } from './app.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);
const limit = Number(process.env.BODY_LIMIT ?? 1024 * 1024);

const server = http.createServer(toNodeListener(createApp({ limit })));
server.listen(port, host, () => {
  const { port: bound } = server.address() as AddressInfo;
  console.log(`request-body (limit ${limit} bytes): listening on http://${host}:${bound}`);
});

function shutdown(): void {
  server.close(() => process.exit(0));
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
