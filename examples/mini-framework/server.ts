import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeListener } from 'pagi';
import { app } from './app.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);

const server = http.createServer(toNodeListener(app));
server.listen(port, host, () => {
  const { port: bound } = server.address() as AddressInfo;
  console.log(`mini-framework: listening on http://${host}:${bound}`);
});

function shutdown(): void {
  server.close(() => process.exit(0));
  server.closeAllConnections(); // parked /wait requests would otherwise hold the process open
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
