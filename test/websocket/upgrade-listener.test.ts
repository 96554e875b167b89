/**
 * `toUpgradeListener` (issue 12): native PAGI WebSocket endpoints on a Node
 * server the team keeps, next to Express and socket.io on the same server.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { Server as SocketIoServer } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import WebSocket from 'ws';
import { toUpgradeListener } from '../../src/index.js';
import type { App } from '../../src/protocol/types.js';
import { within } from '../server/helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Echoes on /chat; anything else is declined with 404 before accepting. */
const chat: App = async (scope, receive, send) => {
  if (scope.type !== 'websocket') return;
  await receive();
  if (scope.path !== '/chat') {
    await send({ type: 'http.response.start', status: 404, headers: [['content-type', 'text/plain']] });
    await send({ type: 'http.response.body', body: 'not here' });
    return;
  }
  await send({ type: 'websocket.accept' });
  for (;;) {
    const event = await receive();
    if (event.type !== 'websocket.receive') return;
    await send({ type: 'websocket.send', text: `echo:${event.text ?? ''}` });
  }
};

async function listen(server: http.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await within(once(server, 'listening'), 5000, 'listen');
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  cleanups.push(() => server.closeAllConnections());
  return (server.address() as AddressInfo).port;
}

function client(url: string): WebSocket {
  const ws = new WebSocket(url);
  ws.on('error', () => {});
  cleanups.push(() => ws.terminate());
  return ws;
}

async function echoOnce(url: string): Promise<string> {
  const ws = client(url);
  await within(once(ws, 'open'), 5000, 'open');
  ws.send('hi');
  const [data] = (await within(once(ws, 'message'), 5000, 'message')) as [Buffer];
  ws.close(1000);
  return data.toString();
}

async function refusedWith(url: string): Promise<number> {
  const ws = client(url);
  const [, res] = (await within(once(ws, 'unexpected-response'), 5000, 'refusal')) as [unknown, http.IncomingMessage];
  res.resume();
  return res.statusCode ?? 0;
}

describe('toUpgradeListener', () => {
  it('adds a PAGI WebSocket endpoint to an Express server that keeps serving HTTP', async () => {
    const app = express();
    app.get('/hello', (_req, res) => void res.send('express'));
    const server = http.createServer(app);
    const listener = toUpgradeListener(chat);
    cleanups.push(() => listener.close());
    server.on('upgrade', listener);
    const port = await listen(server);

    expect(await echoOnce(`ws://127.0.0.1:${port}/chat`)).toBe('echo:hi');
    expect(await refusedWith(`ws://127.0.0.1:${port}/elsewhere`)).toBe(404);
    const res = await fetch(`http://127.0.0.1:${port}/hello`, { signal: AbortSignal.timeout(5000) });
    expect(await res.text()).toBe('express');
  });

  it('with fallthrough, a 404 leaves the socket to socket.io on the same server', async () => {
    const server = http.createServer();
    const listener = toUpgradeListener(chat, { fallthrough: true });
    cleanups.push(() => listener.close());
    server.on('upgrade', listener);
    // socket.io answers late (an async allowRequest), so the PAGI app sees its handshakes and declines them.
    const io = new SocketIoServer(server, {
      allowRequest: (_req, callback) => void setTimeout(() => callback(null, true), 50),
    });
    cleanups.push(() => io.close());
    io.on('connection', (s) => s.on('echo', (v: unknown, ack: (v: unknown) => void) => ack(v)));
    const port = await listen(server);

    const socket = ioClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false, timeout: 5000 });
    cleanups.push(() => socket.close());
    await within(new Promise<void>((resolve) => socket.once('connect', resolve)), 5000, 'socket.io connect');
    expect(await within(socket.timeout(5000).emitWithAck('echo', 'ok'), 5000, 'ack')).toBe('ok');
    // The PAGI endpoint still works next to it.
    expect(await echoOnce(`ws://127.0.0.1:${port}/chat`)).toBe('echo:hi');
  });

  it('close() ends open sessions with 1001', async () => {
    const server = http.createServer();
    const listener = toUpgradeListener(chat);
    server.on('upgrade', listener);
    const port = await listen(server);
    const ws = client(`ws://127.0.0.1:${port}/chat`);
    await within(once(ws, 'open'), 5000, 'open');
    expect(listener.size).toBe(1);
    const closed = within(once(ws, 'close'), 5000, 'close') as Promise<[number, Buffer]>;
    await within(listener.close(), 5000, 'listener close');
    const [code] = await closed;
    expect(code).toBe(1001);
    expect(listener.size).toBe(0);
  });
});
