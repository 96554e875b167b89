/**
 * router(): 404/405/OPTIONS/HEAD, errors as responses, middleware, typed
 * parameters, SSE and WebSocket routes, and composition with mount and
 * cascade (in-process with TestClient; the wire-level agreement with
 * Express is router-express-table.test.ts and api-differential.test.ts).
 */
import express from 'express';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { cascade, mount } from '../../src/compose/index.js';
import { fromExpress } from '../../src/bridge/index.js';
import type { App, Middleware } from '../../src/protocol/types.js';
import { TestClient, WebSocketDenied } from '../../src/testing/index.js';
import { HttpError, PARAMS_KEY, readJson, router, sendJson, sendText, type ParamsOf } from '../../src/toolkit/index.js';
import { recordingLogger } from '../helpers/server.js';

function api() {
  return router()
    .get('/items/:id', ({ params, send }) => sendJson(send, 200, { id: params.id }))
    .post('/items', async ({ scope, receive, send }) => sendJson(send, 201, await readJson(scope, receive)))
    .put('/items/:id', ({ send }) => sendText(send, 200, 'put'))
    .delete('/items/:id', ({ send }) => sendText(send, 200, 'deleted'))
    .patch('/items/:id', ({ send }) => sendText(send, 200, 'patched'))
    .all('/any', ({ scope, send }) => sendText(send, 200, `any ${'method' in scope ? scope.method : ''}`));
}

describe('method dispatch', () => {
  const client = new TestClient(api());

  it('runs the route of the method, HEAD through GET', async () => {
    expect(await (await client.get('/items/7')).json()).toEqual({ id: '7' });
    expect(await (await client.post('/items', { json: { a: 1 } })).json()).toEqual({ a: 1 });
    expect(await (await client.put('/items/7')).text()).toBe('put');
    expect(await (await client.patch('/items/7')).text()).toBe('patched');
    expect(await (await client.delete('/items/7')).text()).toBe('deleted');
    expect(await (await client.request('PROPFIND', '/any')).text()).toBe('any PROPFIND');
    const head = await client.head('/items/7');
    expect([head.status, head.headers.get('content-length')]).toEqual([200, '10']);
  });

  it('answers 404 for no route and 405 with Allow for another method', async () => {
    const missing = await client.get('/nowhere');
    expect([missing.status, await missing.text()]).toEqual([404, 'Not Found']);
    const wrong = await client.post('/items/7');
    expect([wrong.status, wrong.headers.get('allow'), await wrong.text()]).toEqual([405, 'DELETE, GET, HEAD, PATCH, PUT', 'Method Not Allowed']);
  });

  it('answers OPTIONS with Allow as Express does', async () => {
    const res = await client.options('/items/7');
    expect(res.status).toBe(200);
    expect(res.headers.pairs).toEqual([
      ['allow', 'DELETE, GET, HEAD, PATCH, PUT'],
      ['content-length', '29'],
      ['content-type', 'text/plain'],
      ['x-content-type-options', 'nosniff'],
    ]);
    expect(await res.text()).toBe('DELETE, GET, HEAD, PATCH, PUT');
  });
});

describe('errors', () => {
  it('turns an HttpError into its response and anything else into a logged 500 without a stack', async () => {
    const logger = recordingLogger();
    const app = router({ logger })
      .get('/teapot', () => {
        throw new HttpError(418, 'short and stout', { headers: [['x-why', 'tea']] });
      })
      .get('/hidden', () => {
        throw new HttpError(503, 'database password is hunter2');
      })
      .get('/bug', () => {
        throw new Error('secret internals at /srv/app.js:12');
      });
    const client = new TestClient(app);
    const teapot = await client.get('/teapot');
    expect([teapot.status, teapot.headers.get('x-why'), await teapot.text()]).toEqual([418, 'tea', 'short and stout']);
    const hidden = await client.get('/hidden');
    expect([hidden.status, await hidden.text()]).toEqual([503, 'Service Unavailable']);
    const bug = await client.get('/bug');
    expect([bug.status, await bug.text()]).toEqual([500, 'Internal Server Error']);
    expect(logger.errors.map((e) => [e.message, (e.error as Error).message])).toEqual([
      ['pagi/toolkit: unhandled error in GET /hidden', 'database password is hunter2'],
      ['pagi/toolkit: unhandled error in GET /bug', 'secret internals at /srv/app.js:12'],
    ]);
  });

  it('renders errors the way renderError says (JSON APIs)', async () => {
    const app = router({ renderError: (error, send) => sendJson(send, error.status, { error: error.message }, error.headers) }).get('/x', () => {
      throw new HttpError(422, 'name is required');
    });
    const client = new TestClient(app);
    expect(await (await client.get('/x')).json()).toEqual({ error: 'name is required' });
    const notFound = await client.get('/y');
    expect([notFound.status, await notFound.json()]).toEqual([404, { error: 'Not Found' }]);
  });

  it('lets an error after the response started reach the server (incomplete, not a second answer)', async () => {
    const app = router().get('/half', async ({ send }) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'partial', more: true });
      throw new Error('died mid-body');
    });
    const client = new TestClient(app, { raiseAppExceptions: false });
    const res = await client.get('/half');
    expect(res.status).toBe(200);
    await expect(res.settled()).rejects.toThrow('died mid-body');
    expect(res.connection.disconnect_reason()).toBe('server_error');
  });

  it('refuses HttpError statuses outside 400–599', () => {
    expect(() => new HttpError(302)).toThrow(RangeError);
    expect(new HttpError(404).code).toBe('ERR_PAGI_HTTP');
  });
});

describe('middleware and parameters', () => {
  it('wraps routes added after use(), outermost first, with params on the scope', async () => {
    const order: string[] = [];
    const tag =
      (name: string): Middleware =>
      (inner: App): App =>
      async (scope, receive, send) => {
        order.push(`${name}:${JSON.stringify((scope as unknown as Record<string, unknown>)[PARAMS_KEY])}`);
        return inner({ ...scope, 'test.user': name } as typeof scope, receive, send);
      };
    const app = router()
      .get('/open', ({ send }) => sendText(send, 200, 'open'))
      .use(tag('outer'), tag('inner'))
      .get('/guarded/:id', ({ scope, send }) => sendText(send, 200, String(scope['test.user'])));
    const client = new TestClient(app);
    expect(await (await client.get('/open')).text()).toBe('open');
    expect(order).toEqual([]);
    expect(await (await client.get('/guarded/5')).text()).toBe('inner');
    expect(order).toEqual(['outer:{"id":"5"}', 'inner:{"id":"5"}']);
  });

  it('types parameters from the path', () => {
    expectTypeOf<ParamsOf<'/users/:id/books/:bookId'>>().toEqualTypeOf<{ id: string; bookId: string }>();
    expectTypeOf<ParamsOf<'/files/*rest'>>().toEqualTypeOf<{ rest: string[] }>();
    expectTypeOf<ParamsOf<'/optional{/:format}'>>().toEqualTypeOf<{ format?: string }>();
    expectTypeOf<ParamsOf<'/plain'>>().toEqualTypeOf<{}>();
    router().get('/u/:id', ({ params }) => {
      expectTypeOf(params.id).toEqualTypeOf<string>();
    });
  });

  it('rejects malformed patterns when the route is added', () => {
    expect(() => router().get('/users/:id?', () => {})).toThrow(TypeError);
  });
});

describe('SSE and WebSocket routes', () => {
  const app = router()
    .sse('/events/:room', async ({ sse, params }) => {
      await sse.send({ event: 'hello', data: params.room, id: sse.lastEventId ?? 'first' });
      await sse.send({ data: 'line 1\nline 2' });
    })
    .sse('/private', () => {
      throw new HttpError(401, 'log in first');
    })
    .get('/page', ({ send }) => sendText(send, 200, 'plain page'))
    .websocket('/echo/:name', async ({ socket, params }) => {
      await socket.send(`hi ${params.name}`);
      for await (const message of socket) await socket.send(typeof message === 'string' ? message.toUpperCase() : message);
    })
    .websocket('/closed', async ({ socket }) => {
      await socket.accept();
    })
    .websocket('/forbidden', () => {
      throw new HttpError(403, 'no');
    });
  const client = new TestClient(app);

  it('streams events and closes the stream when the handler returns', async () => {
    const stream = await client.sse('/events/lobby', { lastEventId: '41' });
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    const events = await stream.take(2);
    expect(events.map((e) => [e.event, e.data, e.id])).toEqual([
      ['hello', 'lobby', '41'],
      ['message', 'line 1\nline 2', undefined],
    ]);
    expect(await stream.next()).toBeUndefined();
    await stream.settled();
    expect(stream.connection.response_complete()).toBe(true);
  });

  it('refuses a stream with an HttpError thrown before the first event', async () => {
    const res = await client.request('GET', '/private', { headers: { accept: 'text/event-stream' } });
    expect([res.status, await res.text()]).toEqual([401, 'log in first']);
  });

  it('answers an sse scope on an HTTP route as plain HTTP, and a plain request on an SSE path with 406', async () => {
    const page = await client.request('GET', '/page', { headers: { accept: 'text/html, text/event-stream' } });
    expect([page.status, await page.text()]).toEqual([200, 'plain page']);
    expect((await client.get('/events/x')).status).toBe(406);
    const upgrade = await client.get('/echo/x');
    expect([upgrade.status, upgrade.headers.get('upgrade')]).toEqual([426, 'websocket']);
  });

  it('accepts, iterates messages, and closes a WebSocket', async () => {
    const ws = await client.websocket('/echo/ada');
    expect(await ws.receiveText()).toBe('hi ada');
    ws.sendText('shout');
    expect(await ws.receiveText()).toBe('SHOUT');
    ws.sendBytes(new Uint8Array([1, 2]));
    expect(Buffer.from(await ws.receiveBytes())).toEqual(Buffer.from([1, 2]));
    ws.close(1000, 'bye');
    await ws.settled();
    expect(ws.connection.response_complete()).toBe(true);
  });

  it('closes an accepted socket the handler left open, and refuses unknown paths and thrown errors', async () => {
    const ws = await client.websocket('/closed');
    await ws.settled();
    expect(ws.closed?.code).toBe(1000);
    await expect(client.websocket('/nope')).rejects.toMatchObject({ status: 404 });
    const denied = await client.websocket('/forbidden').catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(WebSocketDenied);
    expect((denied as WebSocketDenied).status).toBe(403);
  });
});

describe('composition', () => {
  it('matches below a mount and falls through a cascade to Express on 404', async () => {
    const legacy = express();
    legacy.get('/api/legacy', (_req, res) => void res.send('from express'));
    legacy.get('/api/items/:id', (_req, res) => void res.send('shadowed'));
    const app = cascade(mount({ '/api': api() }), fromExpress(legacy));
    const client = new TestClient(app);
    expect(await (await client.get('/api/items/3')).json()).toEqual({ id: '3' });
    expect(await (await client.get('/api/legacy')).text()).toBe('from express');
    expect((await client.get('/api/missing')).status).toBe(404);
  });

  it('declines lifespan, so a mount runs the lifespan of the apps beside it', async () => {
    let started = false;
    const withState: App = async (scope, receive, send) => {
      if (scope.type !== 'lifespan') return sendText(send, 200, 'x');
      await receive();
      started = true;
      await send({ type: 'lifespan.startup.complete' });
      await receive();
      await send({ type: 'lifespan.shutdown.complete' });
    };
    const client = new TestClient(mount({ '/api': api(), '/': withState }));
    const lifespan = await client.lifespan();
    expect(started).toBe(true);
    await lifespan.stop();
    await expect(new TestClient(api()).lifespan()).rejects.toMatchObject({ code: 'ERR_PAGI_LIFESPAN_UNSUPPORTED' });
  });
});
