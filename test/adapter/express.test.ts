import http from 'node:http';
import express from 'express';
import cors from 'cors';
import helmet from 'helmet';
import compression from 'compression';
import session from 'express-session';
import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import { toExpress } from '../../src/adapter/index.js';
import type { App, HTTPRequestEvent, Scope } from '../../src/protocol/types.js';
import { closeServer, listen, waitUntil, withDeadline } from '../helpers/server.js';
import { httpLike } from '../helpers/scope.js';

let server: http.Server | undefined;
afterEach(async () => {
  if (server) await closeServer(server);
  server = undefined;
});

async function start(app: express.Express): Promise<string> {
  server = http.createServer(app);
  return (await listen(server)).url;
}

/** Reads the whole request body through `receive()`. */
async function readBody(receive: () => Promise<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (;;) {
    const event = (await receive()) as HTTPRequestEvent;
    chunks.push(Buffer.from(event.body));
    if (!event.more) return Buffer.concat(chunks);
  }
}

const echoScope: App = async (scope, _receive, send) => {
  const s = httpLike(scope);
  await send({
    type: 'http.response.start',
    status: 200,
    headers: [
      ['content-type', 'application/json'],
      ['x-frame-options', 'DENY'],
      ['set-cookie', 'pagi=1; Path=/'],
    ],
  });
  await send({
    type: 'http.response.body',
    body: JSON.stringify({ type: s.type, root_path: s.root_path, path: s.path, raw_path: s.raw_path, query_string: s.query_string }),
  });
};

describe('toExpress', () => {
  it('mounts under a path with cors, helmet and express-session in front; keeps their headers', async () => {
    let laterCalled = false;
    let headersSentAfter: boolean | undefined;
    const app = express();
    app.use(cors({ origin: 'http://example.test' }));
    app.use(helmet());
    app.use(session({ secret: 's3cret', resave: false, saveUninitialized: true }));
    app.use((_req, res, next) => {
      res.on('finish', () => (headersSentAfter = res.headersSent));
      next();
    });
    app.use('/api', toExpress(echoScope));
    app.use(() => {
      laterCalled = true;
    });
    const url = await start(app);
    const response = await fetch(`${url}/api/items/%61b%2Fc?x=1&y=%20`, { headers: { origin: 'http://example.test' } });
    expect(await response.json()).toEqual({
      type: 'http',
      root_path: '/api',
      path: '/items/ab/c',
      raw_path: '/api/items/%61b%2Fc',
      query_string: 'x=1&y=%20',
    });
    expect(response.headers.get('access-control-allow-origin')).toBe('http://example.test');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    // The app's value replaces helmet's SAMEORIGIN.
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const cookies = response.headers.getSetCookie();
    expect(cookies.some((c) => c.startsWith('pagi=1'))).toBe(true);
    expect(cookies.some((c) => c.startsWith('connect.sid='))).toBe(true);
    await waitUntil(() => headersSentAfter !== undefined);
    expect(headersSentAfter).toBe(true);
    expect(laterCalled).toBe(false);
  });

  it('gives path "/" for the mount point itself', async () => {
    const app = express();
    app.use('/api', toExpress(echoScope));
    const url = await start(app);
    const body = (await (await fetch(`${url}/api`)).json()) as Record<string, string>;
    expect(body.root_path).toBe('/api');
    expect(body.path).toBe('/');
    expect(body.raw_path).toBe('/api');
  });

  it('falls through to Express on a 404 start (its body is swallowed) and on no response', async () => {
    const pagi: App = async (scope, _receive, send) => {
      const s = httpLike(scope);
      if (s.path === '/mine') {
        await send({ type: 'http.response.start', status: 200 });
        await send({ type: 'http.response.body', body: 'from pagi' });
      } else if (s.path === '/silent') {
        return;
      } else {
        await send({ type: 'http.response.start', status: 404, headers: [['content-type', 'text/plain']] });
        await send({ type: 'http.response.body', body: 'pagi 404', more: true });
        await send({ type: 'http.response.body', body: '!' });
      }
    };
    const app = express();
    app.use(toExpress(pagi, { fallthrough: true }));
    app.use((_req, res) => {
      res.status(200).send('from express');
    });
    const url = await start(app);
    expect(await (await fetch(`${url}/mine`)).text()).toBe('from pagi');
    const fallback = await fetch(`${url}/other`);
    expect(fallback.status).toBe(200);
    expect(await fallback.text()).toBe('from express');
    expect(await (await fetch(`${url}/silent`)).text()).toBe('from express');
  });

  it('leaves an unread body to the Express handler it falls through to', async () => {
    const app = express();
    app.use(
      toExpress(
        async (_scope, _receive, send) => {
          await send({ type: 'http.response.start', status: 404 });
          await send({ type: 'http.response.body' });
        },
        { fallthrough: true },
      ),
    );
    app.use(express.text(), (req, res) => {
      res.send(`express read: ${String(req.body)}`);
    });
    const url = await start(app);
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'payload' });
    expect(await response.text()).toBe('express read: payload');
  });

  it('without fallthrough, a 404 is the answer', async () => {
    const app = express();
    app.use(
      toExpress(async (_scope, _receive, send) => {
        await send({ type: 'http.response.start', status: 404 });
        await send({ type: 'http.response.body', body: 'pagi 404' });
      }),
    );
    app.use((_req, res) => {
      res.send('from express');
    });
    const url = await start(app);
    const response = await fetch(url);
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('pagi 404');
  });

  it('hands an app failure before the response to Express error handling', async () => {
    const app = express();
    app.use(
      toExpress(async () => {
        throw new Error('boom');
      }),
    );
    app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(502).send(`handled: ${error.message}`);
    });
    const url = await start(app);
    const response = await fetch(url);
    expect(response.status).toBe(502);
    expect(await response.text()).toBe('handled: boom');
  });

  it('streams an unconsumed request body through receive()', async () => {
    const app = express();
    app.use(
      '/echo',
      toExpress(async (_scope, receive, send) => {
        const body = await readBody(receive);
        await send({ type: 'http.response.start', status: 200 });
        await send({ type: 'http.response.body', body });
      }),
    );
    const url = await start(app);
    const payload = Buffer.alloc(200_000, 7);
    const response = await fetch(`${url}/echo`, { method: 'POST', body: payload });
    expect(Buffer.from(await response.arrayBuffer()).equals(payload)).toBe(true);
  });

  it('replays a body that express.json(), express.raw(), express.text() or express.urlencoded() consumed', async () => {
    const seen: Array<{ body: string; length: string | undefined }> = [];
    const pagi: App = async (scope, receive, send) => {
      const s = httpLike(scope);
      const body = await readBody(receive);
      seen.push({ body: body.toString('utf8'), length: s.headers.find(([n]) => n === 'content-length')?.[1] });
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body });
    };
    const app = express();
    app.use('/json', express.json(), toExpress(pagi));
    app.use('/raw', express.raw({ type: '*/*' }), toExpress(pagi));
    app.use('/text', express.text(), toExpress(pagi));
    app.use('/form', express.urlencoded({ extended: false }), toExpress(pagi));
    const url = await start(app);
    const post = async (path: string, type: string, body: string | Buffer): Promise<string> =>
      (await withDeadline(fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': type }, body }), 5000, path)).text();
    expect(await post('/json', 'application/json', '{ "a": 1, "b": [true] }')).toBe('{"a":1,"b":[true]}');
    expect(await post('/raw', 'application/octet-stream', Buffer.from([0, 1, 2, 255]))).toBe(Buffer.from([0, 1, 2, 255]).toString());
    expect(await post('/text', 'text/plain', 'héllo')).toBe('héllo');
    expect(await post('/form', 'application/x-www-form-urlencoded', 'a=1&b=x+y&b=z')).toBe('a=1&b=x+y&b=z');
    expect(seen[0]).toEqual({ body: '{"a":1,"b":[true]}', length: '18' });
  });

  it('flushes each SSE event through compression() while the stream stays open', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const app = express();
    app.use(compression());
    app.use(
      toExpress(async (_scope, _receive, send) => {
        await send({ type: 'sse.start' });
        await send({ type: 'sse.send', data: 'early' });
        await gate;
        await send({ type: 'sse.close' });
      }),
    );
    const url = await start(app);
    const source = new EventSource(url);
    try {
      const event = await withDeadline(
        new Promise<MessageEvent>((resolve) => source.addEventListener('message', resolve as never, { once: true })),
        5000,
        'event before close',
      );
      expect(event.data).toBe('early');
    } finally {
      release();
      source.close();
    }
  });

  it('serves SSE scopes through Express middleware to an EventSource client', async () => {
    let scopeType: Scope['type'] | undefined;
    const app = express();
    app.use(helmet());
    app.use(
      '/events',
      toExpress(async (scope, _receive, send) => {
        scopeType = scope.type;
        await send({ type: 'sse.start' });
        await send({ type: 'sse.send', data: 'hello\nworld', event: 'greet' });
        await send({ type: 'sse.close' });
      }),
    );
    const url = await start(app);
    const source = new EventSource(`${url}/events`);
    try {
      const event = await withDeadline(
        new Promise<MessageEvent>((resolve) => source.addEventListener('greet', resolve as never, { once: true })),
        5000,
        'greet event',
      );
      expect(event.data).toBe('hello\nworld');
      expect(scopeType).toBe('sse');
    } finally {
      source.close();
    }
  });
});
