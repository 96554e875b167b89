/**
 * Conflicting framing headers (RFC 9112 §6.3): one response, one length.
 * Two different `content-length` values, or `content-length` next to
 * `transfer-encoding`, make the start reject with `InvalidEvent` (naming the
 * event and the field) on every server — toNodeListener, toExpress (Express 4
 * and 5), serve() and TestClient — so nothing ambiguous reaches the wire; the
 * app can recover with a correct start. Identical duplicates are collapsed
 * into one field.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import express5 from 'express';
import { InvalidEvent } from '../../src/protocol/errors.js';
import type { App, HeaderPair } from '../../src/protocol/types.js';
import { toExpress } from '../../src/adapter/index.js';
import { serve } from '../../src/server/serve.js';
import { createLogger } from '../../src/server/logger.js';
import { TestClient } from '../../src/testing/index.js';
import { closeServer, listen, servePagi } from '../helpers/server.js';
import { parseHead, rawExchange } from '../helpers/raw-socket.js';

const express4 = createRequire(import.meta.url)('express4') as typeof express5;

const CASES: Array<{ name: string; headers: HeaderPair[]; field: RegExp }> = [
  { name: 'two different content-length fields', headers: [['content-length', '5'], ['content-length', '6']], field: /http\.response\.start: headers\[1\]\[1\] is a second content-length \("6"\) that disagrees with headers\[0\] \("5"\)/ },
  { name: 'a list of different lengths', headers: [['content-length', '5, 6']], field: /headers\[0\]\[1\] lists different content-length values/ },
  { name: 'content-length with transfer-encoding', headers: [['transfer-encoding', 'chunked'], ['content-length', '5']], field: /headers\[1\]\[0\] conflicts with headers\[0\]: content-length and transfer-encoding/ },
  { name: 'a content-length that is not a number', headers: [['content-length', 'abc']], field: /headers\[0\]\[1\] of 'content-length' must be a decimal byte count, got "abc"/ },
];

/** Tries `headers`, records the rejection, then answers correctly: the rejected send changed nothing. */
function recovering(headers: HeaderPair[], seen: unknown[]): App {
  return async (scope, _receive, send) => {
    if (scope.type === 'lifespan') throw new Error('no lifespan');
    try {
      await send({ type: 'http.response.start', status: 200, headers });
    } catch (error) {
      seen.push(error);
      await send({ type: 'http.response.start', status: 200, headers: [['content-length', '5']] });
    }
    await send({ type: 'http.response.body', body: 'hello' });
  };
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

type Host = (app: App) => Promise<number>;
const hosts: Record<string, Host> = {
  toNodeListener: async (app) => {
    const s = await servePagi(app);
    closers.push(s.close);
    return s.port;
  },
  'toExpress (Express 5)': async (app) => viaExpress(express5, app),
  'toExpress (Express 4)': async (app) => viaExpress(express4, app),
  'serve()': async (app) => {
    const handle = await serve(app, { port: 0, logger: createLogger('silent') });
    closers.push(() => handle.close());
    return handle.address.port;
  },
};

async function viaExpress(factory: typeof express5, app: App): Promise<number> {
  const server = http.createServer(factory().use(toExpress(app)));
  const { port } = await listen(server);
  closers.push(() => closeServer(server));
  return port;
}

const GET = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

describe.each(Object.keys(hosts))('framing headers on %s', (hostName) => {
  const host = hosts[hostName] as Host;

  it.each(CASES)('$name: the start rejects with InvalidEvent and nothing of it reaches the wire', async ({ headers, field }) => {
    const seen: unknown[] = [];
    const port = await host(recovering(headers, seen));
    const head = parseHead(await rawExchange(port, GET));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(InvalidEvent);
    expect((seen[0] as InvalidEvent).message).toMatch(field);
    expect((seen[0] as InvalidEvent).eventType).toBe('http.response.start');
    expect(head.status).toBe(200);
    expect(head.headers.filter(([n]) => n === 'content-length' || n === 'transfer-encoding')).toEqual([['content-length', '5']]);
    expect(head.rest).toBe('hello');
  });

  it('identical duplicates ("5" twice, or "5, 5") are sent as one content-length', async () => {
    for (const headers of [[['content-length', '5'], ['content-length', '5']], [['content-length', '5, 5']]] as HeaderPair[][]) {
      const seen: unknown[] = [];
      const port = await host(recovering(headers, seen));
      const head = parseHead(await rawExchange(port, GET));
      expect(seen).toEqual([]);
      expect(head.headers.filter(([n]) => n === 'content-length')).toEqual([['content-length', '5']]);
      expect(head.rest).toBe('hello');
    }
  });
});

describe.each(Object.keys(hosts))("an app's own connection: keep-alive on %s", (hostName) => {
  const host = hosts[hostName] as Host;

  it('is written as Node writes an app-set Connection header: no Keep-Alive line, connection reused', async () => {
    const app: App = async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['connection', 'keep-alive'], ['content-length', '2']] });
      await send({ type: 'http.response.body', body: 'ok' });
    };
    const port = await host(app);
    // Two requests on one connection: the first is kept alive, the second closes it.
    const text = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' + GET);
    const head = parseHead(text);
    expect(head.headers.filter(([n]) => n === 'connection' || n === 'keep-alive')).toEqual([['connection', 'keep-alive']]);
    expect(head.rest.startsWith('okHTTP/1.1 200')).toBe(true);
  });
});

describe('framing headers on TestClient', () => {
  // TestClient fails the request with the validation error itself (a test must see it), even if the app recovers.
  it.each(CASES)('$name: the same InvalidEvent as a server', async ({ headers, field }) => {
    const seen: unknown[] = [];
    await expect(new TestClient(recovering(headers, seen)).get('/')).rejects.toThrow(field);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(InvalidEvent);
  });

  it('identical duplicates arrive as one content-length', async () => {
    const res = await new TestClient(recovering([['content-length', '5'], ['content-length', '5']], [])).get('/');
    expect(res.headers.getAll('content-length')).toEqual(['5']);
    expect(await res.text()).toBe('hello');
  });

  it('sse.start and a WebSocket refusal follow the same rule', async () => {
    const app: App = async (scope, _receive, send) => {
      if (scope.type === 'sse') await send({ type: 'sse.start', headers: [['content-length', '1'], ['content-length', '2']] });
      else if (scope.type === 'websocket') await send({ type: 'http.response.start', status: 403, headers: [['content-length', '0'], ['transfer-encoding', 'chunked']] });
    };
    const client = new TestClient(app);
    await expect(client.sse('/')).rejects.toThrow(/^sse\.start: headers\[1\]\[1\] is a second content-length/);
    await expect(client.websocket('/')).rejects.toThrow(/^http\.response\.start: headers\[1\]\[0\] conflicts with headers\[0\]/);
  });
});
