/**
 * Which bridge path serves a cascade's fall-through (issue 11): when the
 * earlier apps declined without reading the body, the last app gets the
 * server's own scope, `receive` and `send`, so `fromExpress` takes the direct
 * path (Node's own req/res); when one of them read body, the last app reads
 * the replay (then the live rest) on the fake path. Real server, real sockets.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { fromExpress } from '../../src/bridge/index.js';
import { bridgePath } from '../../src/bridge/direct-path.js';
import { toNodeListener } from '../../src/adapter/index.js';
import { cascade } from '../../src/compose/index.js';
import type { App, Receive, Scope } from '../../src/protocol/types.js';
import { closeServer, listen, withDeadline } from '../helpers/server.js';

const served: string[] = [];
let port = 0;
let server: http.Server;
/** Opened by the partial reader once it has read its first body event. */
let firstRead: { open(): void; wait: Promise<void> };

function gate(): { open(): void; wait: Promise<void> } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { open, wait };
}

async function decline(send: Parameters<App>[2]): Promise<void> {
  await send({ type: 'http.response.start', status: 404, headers: [['content-length', '0']] });
  await send({ type: 'http.response.body', body: new Uint8Array(0) });
}

async function readAll(receive: Receive): Promise<void> {
  for (;;) {
    const event = await receive();
    if (event.type !== 'http.request' || !event.more) return;
  }
}

/** Declines everything, after reading nothing (`/plain`), all of the body (`/read-all`) or its first event (`/read-some`). */
const native: App = async (scope, receive, send) => {
  if (scope.type !== 'http') return;
  if (scope.path === '/read-all') await readAll(receive);
  if (scope.path === '/read-some') {
    await receive();
    firstRead.open();
  }
  await decline(send);
};

function legacy(): express.Express {
  const app = express();
  app.all('*path', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const pagi = (req as unknown as { pagi?: { scope: Scope } }).pagi;
      res.json({
        body: Buffer.concat(chunks).toString(),
        scope: pagi?.scope.type === 'http' ? pagi.scope.path : undefined,
        url: req.url,
        realSocket: req.socket instanceof net.Socket,
      });
    });
  });
  return app;
}

beforeAll(async () => {
  bridgePath.served = (path) => void served.push(path);
  server = http.createServer(toNodeListener(cascade(native, fromExpress(legacy()))));
  port = (await listen(server)).port;
});
afterAll(async () => {
  bridgePath.served = undefined;
  await closeServer(server);
});
afterEach(() => {
  served.length = 0;
});

/** One request; `second` (if any) is written after the partial reader read the first chunk. */
function request(method: string, path: string, first?: string, second?: string): Promise<Record<string, unknown>> {
  return withDeadline(
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>));
        res.on('error', reject);
      });
      req.on('error', reject);
      if (first === undefined) {
        req.end();
        return;
      }
      req.write(first);
      if (second === undefined) req.end();
      else void firstRead.wait.then(() => req.end(second));
    }),
    5000,
    `${method} ${path}`,
  );
}

describe('cascade(native, fromExpress(app)): the fall-through’s bridge path', () => {
  it('a GET the native app declined unread: direct, with the scope on req.pagi', async () => {
    expect(await request('GET', '/plain?x=1')).toEqual({ body: '', scope: '/plain', url: '/plain?x=1', realSocket: true });
    expect(served).toEqual(['direct']);
  });

  it('a POST the native app declined unread: direct, Express reads the body from the socket', async () => {
    expect(await request('POST', '/plain', 'hello body')).toMatchObject({ body: 'hello body', realSocket: true });
    expect(served).toEqual(['direct']);
  });

  it('the native app read the whole body: fake path, Express gets the replay', async () => {
    expect(await request('POST', '/read-all', 'replayed body')).toMatchObject({ body: 'replayed body', scope: '/read-all', realSocket: false });
    expect(served).toEqual(['fake']);
  });

  it('the native app read part of the body: fake path, the replay then the live rest', async () => {
    firstRead = gate();
    expect(await request('POST', '/read-some', 'first,', 'second')).toMatchObject({ body: 'first,second', realSocket: false });
    expect(served).toEqual(['fake']);
  });
});
