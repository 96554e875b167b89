// Plain Express hosting: app.listen() as usual; the PAGI endpoint rides along as middleware.
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);

const server = createApp().listen(port, host, () => {
  const { port: bound } = server.address() as AddressInfo;
  console.log(`pagi-in-express: listening on http://${host}:${bound}`);
});

function shutdown(): void {
  server.close(() => process.exit(0));
  server.closeAllConnections(); // streams in flight would otherwise hold the process open
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
