// Serves the app on plain node:http. `toNodeListener` turns a PAGI app into `(req, res) => void`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeListener } from 'pagi';
import { app } from './app.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);

const server = http.createServer(toNodeListener(app));
server.listen(port, host, () => {
  const { port: bound } = server.address() as AddressInfo;
  console.log(`early-hints: listening on http://${host}:${bound}`);
});

function shutdown(): void {
  server.close(() => process.exit(0));
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
