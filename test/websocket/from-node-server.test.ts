/**
 * `fromNodeServer` (issue 12, HTTP half): a Node server's `'request'`
 * listeners — Express and socket.io's polling dispatcher — served by `serve()`.
 */
import http from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { Server as SocketIoServer } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import WebSocket from 'ws';
import { cascade, fromNodeServer } from '../../src/index.js';
import type { App } from '../../src/protocol/types.js';
import { within } from '../server/helpers.js';
import { startTestServer, type TestServer } from '../server/test-server.js';

let server: TestServer | undefined;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.close();
  server = undefined;
});

describe('fromNodeServer', () => {
  it('serves Express and socket.io long-polling attached after wrapping (listeners read per scope)', async () => {
    const app = express();
    app.get('/hello', (_req, res) => void res.send('express'));
    const node = http.createServer(app);
    const pagiApp = fromNodeServer(node);
    // Attached after the wrap: socket.io replaces the server's 'request' listeners with its dispatcher.
    const io = new SocketIoServer(node, { transports: ['polling'] });
    cleanups.push(() => io.close());
    io.on('connection', (s) => s.on('echo', (v: unknown, ack: (v: unknown) => void) => ack(v)));
    server = await startTestServer(pagiApp);

    const res = await fetch(`${server.url}/hello`, { signal: AbortSignal.timeout(5000) });
    expect(await res.text()).toBe('express');

    const socket = ioClient(server.url, { transports: ['polling'], reconnection: false, timeout: 5000 });
    cleanups.push(() => socket.close());
    await within(new Promise<void>((resolve) => socket.once('connect', resolve)), 5000, 'socket.io connect');
    expect(await within(socket.timeout(5000).emitWithAck('echo', { n: 2 }), 5000, 'ack')).toEqual({ n: 2 });
  });

  it('a server without listeners answers 404, and a websocket scope is declined with 404 (cascade moves on)', async () => {
    const empty = fromNodeServer(http.createServer());
    const native: App = async (scope, receive, send) => {
      if (scope.type === 'http') {
        await send({ type: 'http.response.start', status: 418 });
        await send({ type: 'http.response.body', body: 'native' });
        return;
      }
      if (scope.type !== 'websocket') return;
      await receive();
      await send({ type: 'websocket.accept' });
      await send({ type: 'websocket.send', text: 'native' });
      await send({ type: 'websocket.close', code: 1000 });
    };
    server = await startTestServer(cascade([empty, native]));
    // The listener-less server said 404, so cascade asked the next app.
    const res = await fetch(`${server.url}/nothing`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(418);
    await res.text();

    const ws = new WebSocket(`${server.wsUrl}/live`);
    ws.on('error', () => {});
    cleanups.push(() => ws.terminate());
    const message = await within(
      new Promise<string>((resolve) => ws.once('message', (data: Buffer) => resolve(data.toString()))),
      5000,
      'message',
    );
    expect(message).toBe('native');
  });

  it('refuses a listening server', async () => {
    const node = http.createServer();
    node.listen(0, '127.0.0.1');
    await within(new Promise((resolve) => node.once('listening', resolve)), 5000, 'listen');
    cleanups.push(() => new Promise((resolve) => node.close(resolve)));
    expect(() => fromNodeServer(node)).toThrow(/already listening/);
  });
});
