/**
 * PROTOCOL.md §1 deviation 9 on every server: a `send()` that rejects while
 * the app never awaited it is logged once (event type, request, "missing
 * await?") through the server's logger and never becomes an unhandled
 * rejection — on toNodeListener, toExpress (Express 4 and 5), serve()'s
 * lifespan, through cascade and lint, for sends that reject at once and for
 * sends that were waiting (backpressure, queue); TestClient reports it to
 * `onUnawaitedSend` (default: a process warning).
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import express5 from 'express';
import { toExpress } from '../../src/adapter/index.js';
import { cascade } from '../../src/compose/cascade.js';
import { lint } from '../../src/lint/lint.js';
import { handleErrors } from '../../src/toolkit/index.js';
import { Disconnected } from '../../src/protocol/errors.js';
import type { App, ConnectionState } from '../../src/protocol/types.js';
import { serve } from '../../src/server/serve.js';
import { createLogger } from '../../src/server/logger.js';
import { TestClient } from '../../src/testing/index.js';
import { closeServer, listen, recordingLogger, servePagi, waitUntil, withDeadline } from '../helpers/server.js';
import { parseHead, rawExchange } from '../helpers/raw-socket.js';
import { connectionOf } from '../helpers/scope.js';

const express4 = createRequire(import.meta.url)('express4') as typeof express5;
const GET = 'GET /late?x=1 HTTP/1.1\r\nHost: x\r\n\r\n';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
const closers: Array<() => Promise<void>> = [];
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  process.off('unhandledRejection', onUnhandled);
  for (const close of closers.splice(0)) await close();
});

/** The route under test: returns without answering, then sends late without awaiting. */
function forgetful(record: { reason?: string | undefined; done?: boolean }): App {
  return async (scope, _receive, send) => {
    if (scope.type === 'lifespan') return;
    const connection = connectionOf(scope);
    setTimeout(() => {
      send({ type: 'http.response.start', status: 200 });
      record.reason = connection.disconnect_reason();
      record.done = true;
    }, 20);
  };
}

async function viaExpress(factory: typeof express5, app: App, logger: ReturnType<typeof recordingLogger>): Promise<number> {
  const server = http.createServer(factory().use(toExpress(app, { logger })));
  const { port } = await listen(server);
  closers.push(() => closeServer(server));
  return port;
}

const hosts: Record<string, (app: App, logger: ReturnType<typeof recordingLogger>) => Promise<number>> = {
  toNodeListener: async (app, logger) => {
    const s = await servePagi(app, { logger });
    closers.push(s.close);
    return s.port;
  },
  'toExpress (Express 5)': (app, logger) => viaExpress(express5, app, logger),
  'toExpress (Express 4)': (app, logger) => viaExpress(express4, app, logger),
};

describe.each(Object.keys(hosts))('an unawaited late send on %s', (hostName) => {
  it('is logged once with the event, the request and "missing await?"; the reason is server_error', async () => {
    const logger = recordingLogger();
    const record: { reason?: string | undefined; done?: boolean } = {};
    const port = await hosts[hostName]!(forgetful(record), logger);
    const head = parseHead(await rawExchange(port, GET));
    await waitUntil(() => logger.errors.length >= 2, 5000, 'the unawaited-send log');
    await new Promise((resolve) => setTimeout(resolve, 50)); // nothing more comes
    expect(head.status).toBe(500);
    expect(logger.errors.map((e) => e.message)).toEqual([
      'app returned without starting a response (missing await?) (GET /late?x=1)',
      'send(http.response.start) failed and nothing awaited it (GET /late?x=1; missing await?)',
    ]);
    const error = logger.errors[1]?.error as Disconnected;
    expect(error).toBeInstanceOf(Disconnected);
    expect(error.reason).toBe('server_error');
    expect(error.message).not.toMatch(/client/);
    expect(record.reason).toBe('server_error');
    expect(unhandled).toEqual([]);
  });
});

describe('sends that were waiting when the client left', () => {
  it('a pending (backpressured) send and the queued ones: one error log, no unhandled rejection', async () => {
    const logger = recordingLogger();
    const debug: string[] = [];
    let started = false;
    const { port } = await servePagi(
      async (scope, _receive, send) => {
        await send({ type: 'http.response.start', status: 200 });
        // Fire and forget: 8 MiB to a client that does not read, then three more behind it.
        send({ type: 'http.response.body', body: Buffer.alloc(8 * 1024 * 1024), more: true });
        send({ type: 'http.response.body', body: 'a', more: true });
        send({ type: 'http.response.body', body: 'b', more: true });
        send({ type: 'http.response.body', body: 'c', more: false });
        started = true;
        await connectionOf(scope).disconnect_future();
      },
      { logger: { ...logger, debug: (message: string) => void debug.push(message) } },
    ).then((s) => (closers.push(s.close), s));
    const socket = net.connect(port, '127.0.0.1');
    await withDeadline(new Promise((resolve) => socket.once('connect', resolve)), 5000, 'connect');
    socket.pause();
    socket.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitUntil(() => started, 5000, 'the sends');
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await waitUntil(() => logger.errors.length >= 1 && debug.filter((d) => d.includes('nothing awaited')).length >= 3, 5000, 'the reports');
    expect(logger.errors.map((e) => e.message)).toEqual(['send(http.response.body) failed and nothing awaited it (GET /stream; missing await?)']);
    expect((logger.errors[0]?.error as Disconnected).reason).toBe('client_closed');
    expect(debug.filter((d) => d.includes('nothing awaited'))).toHaveLength(3);
    expect(unhandled).toEqual([]);
  });
});

describe('through intermediaries', () => {
  it('cascade, lint and the toolkit\'s handleErrors hand the server its own promise: the server logs, nothing is unhandled', async () => {
    const warnings: string[] = [];
    const notMine: App = async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 404 });
      await send({ type: 'http.response.body' });
    };
    for (const app of [cascade(notMine, forgetful({})), lint(forgetful({}), { onWarning: (m) => void warnings.push(m) }), handleErrors(forgetful({}))]) {
      const logger = recordingLogger();
      const { port } = await servePagi(app, { logger }).then((s) => (closers.push(s.close), s));
      expect(parseHead(await rawExchange(port, GET)).status).toBe(500);
      await waitUntil(() => logger.errors.length >= 2, 5000, 'the unawaited-send log');
      expect(logger.errors[1]?.message).toBe('send(http.response.start) failed and nothing awaited it (GET /late?x=1; missing await?)');
    }
    expect(warnings.some((w) => w.includes('after the app returned'))).toBe(true);
    expect(unhandled).toEqual([]);
  });

  it("cascade's own rejection before it decided (an invalid event nobody awaits) goes to its onWarning", async () => {
    const warnings: string[] = [];
    const sloppy: App = async (_scope, _receive, send) => {
      send({ type: 'http.response.bogus' } as never);
      await send({ type: 'http.response.start', status: 204 });
      await send({ type: 'http.response.body' });
    };
    const app = cascade([sloppy, sloppy], { onWarning: (message) => void warnings.push(message) });
    const { port } = await servePagi(app).then((s) => (closers.push(s.close), s));
    expect(parseHead(await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status).toBe(204);
    await waitUntil(() => warnings.length > 0, 5000, 'the warning');
    expect(warnings).toEqual(['send(http.response.bogus) failed and nothing awaited it (GET /; missing await?)']);
    expect(unhandled).toEqual([]);
  });
});

describe('lifespan', () => {
  it('serve(): a handler that sends HTTP events on the lifespan scope without awaiting starts, logs, serves', async () => {
    const lines: string[] = [];
    const plain: App = async (scope, _receive, send) => {
      // No scope.type check and no await: the classic toy handler.
      send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
      send({ type: 'http.response.body', body: `hi ${scope.type}` });
    };
    const handle = await serve(plain, { port: 0, logger: createLogger('debug', (line) => void lines.push(line)) });
    closers.push(() => handle.close());
    const res = await fetch(`${handle.url}/`, { signal: AbortSignal.timeout(5000) });
    expect(await res.text()).toBe('hi http');
    await waitUntil(() => lines.some((l) => l.includes('send(http.response.body)')), 5000, 'the log');
    expect(lines.filter((l) => l.includes('nothing awaited it (lifespan; missing await?)'))).toEqual([
      expect.stringMatching(/^pagi error: send\(http\.response\.start\) failed and nothing awaited it \(lifespan; missing await\?\)/),
      expect.stringMatching(/^pagi error: send\(http\.response\.body\) failed and nothing awaited it \(lifespan; missing await\?\)/),
    ]);
    expect(unhandled).toEqual([]);
  });
});

describe('TestClient', () => {
  it('reports an unawaited failing send to onUnawaitedSend, once, with the server message', async () => {
    const reports: Array<{ message: string; error: unknown }> = [];
    const record: { done?: boolean } = {};
    const client = new TestClient(forgetful(record), { raiseAppExceptions: false, onUnawaitedSend: (message, error) => void reports.push({ message, error }) });
    expect((await client.get('/late', { query: { x: '1' } })).status).toBe(500);
    await waitUntil(() => reports.length > 0, 5000, 'the report');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reports.map((r) => r.message)).toEqual(['send(http.response.start) failed and nothing awaited it (GET /late?x=1; missing await?)']);
    expect(reports[0]?.error).toBeInstanceOf(Disconnected);
    expect(unhandled).toEqual([]);
  });

  it('defaults to a PagiWarning process warning; WebSocket and lifespan sends are covered too', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const app: App = async (scope, receive, send) => {
        if (scope.type === 'lifespan') {
          await receive();
          send({ type: 'http.response.start', status: 200 } as never);
          await send({ type: 'lifespan.startup.complete' });
          return;
        }
        if (scope.type === 'websocket') {
          await send({ type: 'websocket.accept' });
          send({ type: 'websocket.send' } as never);
          await send({ type: 'websocket.close' });
          return;
        }
        setTimeout(() => send({ type: 'http.response.start', status: 200 }), 10);
      };
      const client = new TestClient(app, { raiseAppExceptions: false });
      await client.lifespan();
      const ws = await client.websocket('/chat');
      await expect(ws.receive()).rejects.toThrow(/closed by the app/);
      await client.get('/late');
      await waitUntil(() => warnings.length >= 3, 5000, 'three warnings');
      expect(warnings.every((w) => w.name === 'PagiWarning' && (w as Error & { code?: string }).code === 'PAGI_UNAWAITED_SEND')).toBe(true);
      expect(warnings.map((w) => w.message.replace(/: .*$/s, ''))).toEqual([
        'send(http.response.start) failed and nothing awaited it (lifespan; missing await?)',
        'send(websocket.send) failed and nothing awaited it (websocket /chat; missing await?)',
        'send(http.response.start) failed and nothing awaited it (GET /late; missing await?)',
      ]);
    } finally {
      process.off('warning', onWarning);
    }
    expect(unhandled).toEqual([]);
  });
});

describe('the happy path stays free', () => {
  it('a send that does not wait returns one shared resolved promise (nothing watched, nothing allocated)', async () => {
    const promises: Array<Promise<void>> = [];
    const { port } = await servePagi(async (_scope, _receive, send) => {
      promises.push(send({ type: 'http.response.start', status: 200 }));
      promises.push(send({ type: 'http.response.body', body: 'a', more: true }));
      promises.push(send({ type: 'http.response.body', body: 'b' }));
      await Promise.all(promises);
    }).then((s) => (closers.push(s.close), s));
    expect(parseHead(await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status).toBe(200);
    expect(new Set(promises).size).toBe(1);
  });
});
