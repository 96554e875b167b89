// Reference servers that are not Express: raw `ws`, fastify and hono on @hono/node-server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { HOST, hostNodeServer } from './hosts.js';
import type { Hosted } from './hosts.js';

const HELLO = 'Hello, World!';

export function rawHelloListener(_req: http.IncomingMessage, res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '13' });
  res.end(HELLO);
}

export function hostRawWebSocketEcho(): Promise<Hosted> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  return hostNodeServer(server);
}

export async function hostFastifyHello(): Promise<Hosted> {
  const { default: fastify } = await import('fastify');
  const app = fastify({ logger: false, keepAliveTimeout: 60_000 });
  app.get('/', async (_request, reply) => reply.type('text/plain').send(HELLO));
  await app.listen({ port: 0, host: HOST });
  const address = app.server.address() as AddressInfo;
  return { port: address.port, close: () => app.close() };
}

export async function hostHonoHello(): Promise<Hosted> {
  const { Hono } = await import('hono');
  const { serve } = await import('@hono/node-server');
  const app = new Hono();
  app.get('/', (c) => c.text(HELLO));
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: HOST }, (info) => {
      // Same keep-alive as the other targets (fastify's default is 72 s, node:http's 5 s).
      (server as http.Server).keepAliveTimeout = 60_000;
      resolve({
        port: info.port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
