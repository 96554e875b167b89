/**
 * The bridge's direct path (issue 11): `toNodeListener(fromExpress(app))` and
 * `serve(fromExpress(app))` hand Express the adapter's own req/res; anything
 * composed or rewritten in between keeps the fake path. Both paths: the scope
 * reaches `req.pagi`, `sendTimeout` ends a non-reading client with
 * `write_timeout`, a client that leaves mid-response settles the scope with
 * `client_closed`. Real servers, real sockets.
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import express from 'express';
import { fromExpress } from '../../src/bridge/index.js';
import { bridgePath } from '../../src/bridge/direct-path.js';
import { toNodeListener, type AdapterOptions, type ResponseEndInfo } from '../../src/adapter/index.js';
import { cascade, mount } from '../../src/compose/index.js';
import { lint } from '../../src/lint/index.js';
import { TestClient } from '../../src/testing/index.js';
import { serve } from '../../src/server/serve.js';
import { createLogger } from '../../src/server/logger.js';
import type { App, Scope } from '../../src/protocol/types.js';
import { closeServer, listen, waitUntil, withDeadline } from '../helpers/server.js';

const served: string[] = [];
bridgePath.served = (path) => void served.push(path);
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  served.length = 0;
  bridgePath.enabled = true;
});

/** An Express app that reports what it saw: the scope type via req.pagi, and a real or stub socket. */
function probeApp(): express.Express {
  const app = express();
  app.get('/probe', (req, res) => {
    const pagi = (req as unknown as { pagi?: { scope: Scope; state: Record<string, unknown> } }).pagi;
    res.json({ scope: pagi?.scope.type, path: pagi?.scope.type === 'http' ? pagi.scope.path : undefined, realSocket: req.socket instanceof net.Socket });
  });
  app.get('/big', (_req, res) => {
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    const more = (): void => {
      while (res.write(chunk));
      res.once('drain', more);
    };
    more();
  });
  return app;
}

async function host(app: App, options: AdapterOptions = {}): Promise<number> {
  const server = http.createServer(toNodeListener(app, options));
  closers.push(() => closeServer(server));
  return (await listen(server)).port;
}

async function getJson(port: number, path: string): Promise<Record<string, unknown>> {
  const response = await withDeadline(fetch(`http://127.0.0.1:${port}${path}`), 5000, 'fetch');
  return (await response.json()) as Record<string, unknown>;
}

describe('which path serves a bridged request', () => {
  it('toNodeListener(fromExpress(app)): direct, Node’s own socket, the scope on req.pagi', async () => {
    const port = await host(fromExpress(probeApp()));
    expect(await getJson(port, '/probe')).toEqual({ scope: 'http', path: '/probe', realSocket: true });
    expect(served).toEqual(['direct']);
  });

  it('serve(fromExpress(app)): direct', async () => {
    const handle = await serve(fromExpress(probeApp()), { port: 0, logger: createLogger('silent') });
    closers.push(() => handle.close());
    expect(await getJson(handle.address.port, '/probe')).toEqual({ scope: 'http', path: '/probe', realSocket: true });
    expect(served).toEqual(['direct']);
  });

  it('forced off (the test switch): fake path, same answer', async () => {
    bridgePath.enabled = false;
    const port = await host(fromExpress(probeApp()));
    expect(await getJson(port, '/probe')).toEqual({ scope: 'http', path: '/probe', realSocket: false });
    expect(served).toEqual(['fake']);
  });

  const decline: App = async (scope, _receive, send) => {
    if (scope.type !== 'http') return;
    await send({ type: 'http.response.start', status: 404, headers: [['content-length', '0']] });
    await send({ type: 'http.response.body', body: new Uint8Array(0) });
  };
  const composed: Record<string, (bridged: App) => App> = {
    'cascade, an earlier app that read the body': (bridged) =>
      cascade(async (scope, receive, send) => {
        await receive();
        await decline(scope, receive, send);
      }, bridged),
    "mount under a prefix ('/app', root_path changes)": (bridged) => mount({ '/new': decline, '/app': bridged }),
    lint: (bridged) => lint(bridged),
    'a middleware rewriting the scope in place': (bridged) => (scope, receive, send) => {
      if (scope.type === 'http') scope.headers = [...scope.headers, ['x-added', '1']];
      return bridged(scope, receive, send);
    },
  };
  it.each(Object.keys(composed))('%s in between: fake path', async (name) => {
    const port = await host((composed[name] as (bridged: App) => App)(fromExpress(probeApp())));
    expect(await getJson(port, name.startsWith('mount') ? '/app/probe' : '/probe')).toMatchObject({ scope: 'http', realSocket: false });
    expect(served).toEqual(['fake']);
  });

  it("mount({ '/new': native, '/': bridged }): mount hands the untouched scope, receive and send on, so direct", async () => {
    const port = await host(mount({ '/new': decline, '/': fromExpress(probeApp()) }));
    expect(await getJson(port, '/probe')).toEqual({ scope: 'http', path: '/probe', realSocket: true });
    expect(served).toEqual(['direct']);
  });

  it('cascade(native, bridged), falling through unread: the last app gets the server’s receive and send, so direct', async () => {
    const port = await host(cascade(decline, fromExpress(probeApp())));
    expect(await getJson(port, '/probe')).toEqual({ scope: 'http', path: '/probe', realSocket: true });
    expect(served).toEqual(['direct']);
  });

  it('TestClient: fake path', async () => {
    const client = new TestClient(fromExpress(probeApp()));
    const response = await client.get('/probe');
    expect(await response.json()).toMatchObject({ scope: 'http', realSocket: false });
    expect(served).toEqual(['fake']);
  });

  it('maxBodySize set: fake path (the limit is enforced by receive())', async () => {
    const port = await host(fromExpress(probeApp()), { maxBodySize: 1024 });
    expect(await getJson(port, '/probe')).toMatchObject({ realSocket: false });
    expect(served).toEqual(['fake']);
  });
});

/** Sends a request and never reads the answer. */
async function nonReader(port: number, path: string): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await withDeadline(new Promise((resolve) => socket.once('connect', resolve)), 5000, 'connect');
  socket.pause();
  socket.on('error', () => {});
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  closers.push(async () => void socket.destroy());
  return socket;
}

describe.each([['direct', true], ['fake', false]])('on the %s path', (path, enabled) => {
  it('sendTimeout: a client that never reads ends with write_timeout and a destroyed connection', async () => {
    bridgePath.enabled = enabled;
    const ends: ResponseEndInfo[] = [];
    const port = await host(fromExpress(probeApp()), { sendTimeout: 0.3, onResponseEnd: (info) => void ends.push(info) });
    const socket = await nonReader(port, '/big');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await waitUntil(() => ends.length > 0, 5000, 'the response to end');
    expect(ends[0]?.reason).toBe('write_timeout');
    expect(ends[0]?.status).toBe(200);
    socket.resume();
    await withDeadline(closed, 5000, 'the connection to close');
    expect(served).toEqual([path]);
  });

  it('a client leaving mid-response: the scope ends with client_closed, the app settles', async () => {
    bridgePath.enabled = enabled;
    const ends: ResponseEndInfo[] = [];
    const port = await host(fromExpress(probeApp()), { onResponseEnd: (info) => void ends.push(info) });
    const socket = await nonReader(port, '/big');
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    await waitUntil(() => ends.length > 0, 5000, 'the response to end');
    expect(ends[0]?.reason).toBe('client_closed');
    expect(served).toEqual([path]);
  });

  it('onResponseEnd reports the status and body bytes', async () => {
    bridgePath.enabled = enabled;
    const ends: ResponseEndInfo[] = [];
    const port = await host(fromExpress(probeApp()), { onResponseEnd: (info) => void ends.push(info) });
    const body = await getJson(port, '/probe');
    await waitUntil(() => ends.length > 0, 5000, 'the response to end');
    expect(ends[0]).toMatchObject({ status: 200, bodyBytes: Buffer.byteLength(JSON.stringify(body)), reason: undefined });
  });
});
