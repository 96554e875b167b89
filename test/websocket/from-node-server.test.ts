/**
 * `fromNodeServer` (issue 12, HTTP half): a Node server's `'request'`
 * listeners — Express and socket.io's polling dispatcher — served by `serve()`.
 */
import http from 'node:http';
import express from 'express';
import expressWs from 'express-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { Server as SocketIoServer } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import WebSocket, { WebSocketServer } from 'ws';
import { cascade, fromNodeServer } from '../../src/index.js';
import { TestClient } from '../../src/testing/index.js';
import type { App } from '../../src/protocol/types.js';
import { waitFor, within } from '../server/helpers.js';
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

  it('carries ws ({ server }) through serve(): subprotocol, text, binary, 1 MB, close code and reason', async () => {
    const node = http.createServer();
    const wss = new WebSocketServer({ server: node, handleProtocols: (offered) => [...offered].at(-1) ?? false });
    cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        if (!isBinary && data.toString() === 'bye') ws.close(4000, 'done');
        else ws.send(data, { binary: isBinary });
      });
    });
    server = await startTestServer(fromNodeServer(node));
    const ws = new WebSocket(`${server.wsUrl}/any`, ['one', 'two']);
    ws.on('error', () => {});
    cleanups.push(() => ws.terminate());
    await within(new Promise((resolve) => ws.once('open', resolve)), 5000, 'open');
    expect(ws.protocol).toBe('two');
    const next = () =>
      within(new Promise<[Buffer, boolean]>((resolve) => ws.once('message', (d: Buffer, b: boolean) => resolve([d, b]))), 5000, 'message');
    ws.send('héllo');
    const [text, textBinary] = await next();
    expect([text.toString(), textBinary]).toEqual(['héllo', false]);
    const big = Buffer.alloc(1024 * 1024, 7);
    ws.send(big);
    const [bytes, isBinary] = await next();
    expect(isBinary).toBe(true);
    expect(bytes.equals(big)).toBe(true);
    const closed = within(
      new Promise<[number, string]>((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve([code, reason.toString()]))),
      5000,
      'close',
    );
    ws.send('bye');
    expect(await closed).toEqual([4000, 'done']);
  });

  it('carries fragments the library writes, answers its pings inside, and keeps the order of back-to-back messages', async () => {
    const node = http.createServer();
    const wss = new WebSocketServer({ server: node });
    cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
    const pongs: string[] = [];
    wss.on('connection', (ws) => {
      ws.on('pong', (data) => pongs.push(data.toString()));
      ws.on('message', (data, isBinary) => {
        const text = data.toString();
        if (text === 'fragments') {
          ws.ping('p1');
          ws.send('ab', { fin: false });
          ws.send('cd', { fin: false });
          ws.send('ef', { fin: true });
        } else ws.send(data, { binary: isBinary });
      });
    });
    server = await startTestServer(fromNodeServer(node));
    const ws = new WebSocket(`${server.wsUrl}/`);
    ws.on('error', () => {});
    cleanups.push(() => ws.terminate());
    await within(new Promise((resolve) => ws.once('open', resolve)), 5000, 'open');
    const received: string[] = [];
    ws.on('message', (data: Buffer) => received.push(data.toString()));
    ws.send('fragments');
    await waitFor(() => received.length === 1 && pongs.length === 1, 5000, 'fragments and pong');
    expect(received).toEqual(['abcdef']);
    expect(pongs).toEqual(['p1']);
    const sent = Array.from({ length: 200 }, (_, i) => `m${i}`);
    for (const message of sent) ws.send(message);
    await waitFor(() => received.length === 201, 5000, 'every echo');
    expect(received.slice(1)).toEqual(sent);
  });

  it('carries a refusal from ws (verifyClient 401) with its status', async () => {
    const node = http.createServer();
    const wss = new WebSocketServer({ server: node, verifyClient: (_info, cb) => cb(false, 401, 'Unauthorized') });
    cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
    server = await startTestServer(fromNodeServer(node));
    const ws = new WebSocket(`${server.wsUrl}/private`);
    ws.on('error', () => {});
    cleanups.push(() => ws.terminate());
    const status = await within(
      new Promise<number>((resolve) => ws.once('unexpected-response', (_r, res: http.IncomingMessage) => resolve(res.statusCode ?? 0))),
      5000,
      'refusal',
    );
    expect(status).toBe(401);
  });

  it('carries socket.io over the websocket transport', async () => {
    const node = http.createServer();
    const io = new SocketIoServer(node);
    cleanups.push(() => io.close());
    io.on('connection', (s) => s.on('echo', (v: unknown, ack: (v: unknown) => void) => ack(v)));
    server = await startTestServer(fromNodeServer(node));
    const socket = ioClient(server.url, { transports: ['websocket'], reconnection: false, timeout: 5000 });
    cleanups.push(() => socket.close());
    await within(new Promise<void>((resolve) => socket.once('connect', resolve)), 5000, 'socket.io connect');
    expect(await within(socket.timeout(5000).emitWithAck('echo', 'via bridge'), 5000, 'ack')).toBe('via bridge');
  });

  it('carries socket.io polling then the upgrade to websocket', async () => {
    const node = http.createServer();
    const io = new SocketIoServer(node);
    cleanups.push(() => io.close());
    io.on('connection', (s) => s.on('echo', (v: unknown, ack: (v: unknown) => void) => ack(v)));
    server = await startTestServer(fromNodeServer(node));
    const socket = ioClient(server.url, { reconnection: false, timeout: 5000 });
    cleanups.push(() => socket.close());
    await within(new Promise<void>((resolve) => socket.once('connect', resolve)), 5000, 'socket.io connect');
    // The upgrade may complete before or after 'connect': watch the transport in use.
    await waitFor(() => socket.io.engine.transport.name === 'websocket', 5000, 'transport upgrade');
    expect(await within(socket.timeout(5000).emitWithAck('echo', 'upgraded'), 5000, 'ack')).toBe('upgraded');
  });

  it('carries ws { server, path } and noServer + handleUpgrade; a client that leaves closes the library socket', async () => {
    const node = http.createServer();
    const withPath = new WebSocketServer({ noServer: true, path: '/a' });
    const manual = new WebSocketServer({ noServer: true });
    cleanups.push(() => new Promise((resolve) => withPath.close(resolve)));
    cleanups.push(() => new Promise((resolve) => manual.close(resolve)));
    const libraryClosed: number[] = [];
    for (const [wss, tag] of [[withPath, 'a'], [manual, 'b']] as const) {
      wss.on('connection', (ws) => {
        ws.send(tag);
        ws.on('close', (code) => libraryClosed.push(code));
      });
    }
    node.on('upgrade', (req, socket, head) => {
      const target = req.url === '/a' ? withPath : manual;
      target.handleUpgrade(req, socket, head, (ws) => target.emit('connection', ws, req));
    });
    server = await startTestServer(fromNodeServer(node));
    for (const [path, tag] of [['/a', 'a'], ['/b', 'b']]) {
      const ws = new WebSocket(`${server.wsUrl}${path}`);
      ws.on('error', () => {});
      cleanups.push(() => ws.terminate());
      const first = await within(new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString()))), 5000, 'message');
      expect(first).toBe(tag);
      ws.terminate();
    }
    await waitFor(() => libraryClosed.length === 2, 5000, 'library sockets closed');
    expect(libraryClosed).toEqual([1006, 1006]);
  });

  it('express-ws: the Express middleware chain runs before the handshake', async () => {
    const base = express();
    const node = http.createServer(base);
    const { app } = expressWs(base, node);
    app.use((req, _res, next) => {
      (req as unknown as { who: string }).who = String(req.headers['x-user'] ?? 'nobody');
      next();
    });
    app.ws('/echo', (ws, req) => {
      ws.send(`hello ${(req as unknown as { who: string }).who}`);
      ws.on('message', (data) => ws.send(String(data)));
    });
    server = await startTestServer(fromNodeServer(node));
    const ws = new WebSocket(`${server.wsUrl}/echo`, { headers: { 'x-user': 'ada' } });
    ws.on('error', () => {});
    cleanups.push(() => ws.terminate());
    const next = () => within(new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString()))), 5000, 'message');
    expect(await next()).toBe('hello ada');
    ws.send('again');
    expect(await next()).toBe('again');
  });

  it('leaks no sockets, listeners or handles after 1,000 connections', async () => {
    const node = http.createServer();
    const wss = new WebSocketServer({ server: node });
    cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
    wss.on('connection', (ws) => ws.on('message', (d) => ws.send(d)));
    server = await startTestServer(fromNodeServer(node));
    const url = `${server.wsUrl}/x`;
    const one = async (): Promise<void> => {
      const ws = new WebSocket(url);
      ws.on('error', () => {});
      await within(new Promise((resolve) => ws.once('open', resolve)), 5000, 'open');
      const echoed = new Promise((resolve) => ws.once('message', resolve));
      ws.send('x');
      await within(echoed, 5000, 'echo');
      const closed = new Promise((resolve) => ws.once('close', resolve));
      ws.close(1000);
      await within(closed, 5000, 'close');
    };
    await one();
    const listenersBefore = node.listenerCount('upgrade') + node.listenerCount('request');
    const handlesBefore = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
    for (let batch = 0; batch < 50; batch++) await Promise.all(Array.from({ length: 20 }, one));
    await waitFor(() => wss.clients.size === 0, 5000, 'library clients gone');
    await waitFor(
      () => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length <= handlesBefore,
      5000,
      'handles back to baseline',
    );
    expect(node.listenerCount('upgrade') + node.listenerCount('request')).toBe(listenersBefore);
  }, 60_000);

  it('runs in TestClient: client.websocket() against a fromNodeServer app', async () => {
    const node = http.createServer();
    const wss = new WebSocketServer({ server: node });
    cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
    wss.on('connection', (ws) => ws.on('message', (d, isBinary) => ws.send(isBinary ? d : `echo:${String(d)}`)));
    const client = new TestClient(fromNodeServer(node));
    const socket = await within(client.websocket('/t'), 5000, 'websocket');
    socket.sendText('hi');
    expect(await within(socket.receiveText(), 5000, 'text')).toBe('echo:hi');
    socket.close(1000);
    await within(socket.settled(), 5000, 'settled');
  });

  it('refuses a listening server', async () => {
    const node = http.createServer();
    node.listen(0, '127.0.0.1');
    await within(new Promise((resolve) => node.once('listening', resolve)), 5000, 'listen');
    cleanups.push(() => new Promise((resolve) => node.close(resolve)));
    expect(() => fromNodeServer(node)).toThrow(/already listening/);
  });
});
