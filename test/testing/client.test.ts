import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Disconnected, InvalidEvent, LifespanStartupFailed, OutOfOrder } from '../../src/protocol/errors.js';
import type { App, HTTPScope, ReceiveEvent, Scope } from '../../src/protocol/types.js';
import {
  IncompleteResponse,
  NoResponse,
  SSERefused,
  TestClient,
  TestTimeout,
  WebSocketClosed,
  WebSocketDenied,
  LifespanUnsupported,
} from '../../src/testing/index.js';

/** A gate the test opens to let the app continue. */
function gate(): { open(): void; wait: Promise<void> } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { open, wait };
}

const echoScope: App = async (scope, receive, send) => {
  if (scope.type !== 'http') throw new Error('http only');
  const chunks: Uint8Array[] = [];
  for (;;) {
    const event = await receive();
    if (event.type !== 'http.request') break;
    chunks.push(event.body);
    if (!event.more) break;
  }
  const { 'pagi.connection': _c, state: _s, ...plain } = scope;
  await send({ type: 'http.response.start', status: 201, headers: [['content-type', 'application/json'], ['x-a', '1'], ['x-a', '2']] });
  await send({ type: 'http.response.body', body: JSON.stringify({ scope: plain, body: Buffer.concat(chunks).toString() }) });
};

describe('TestClient: request()', () => {
  it('builds an http scope from method, path, headers, query and body and returns status, headers, json()', async () => {
    const client = new TestClient(echoScope);
    const res = await client.request('post', '/caf%C3%A9/x%2Fy?a=1', { headers: { 'X-Trace': 'abc' }, body: 'hello', query: { b: ['2', '3'] } });
    expect(res.status).toBe(201);
    expect(res.headers.get('Content-Type')).toBe('application/json');
    expect(res.headers.getAll('x-a')).toEqual(['1', '2']);
    const { scope, body } = await res.json<{ scope: HTTPScope; body: string }>();
    expect(body).toBe('hello');
    expect(scope).toMatchObject({
      type: 'http',
      method: 'POST',
      scheme: 'http',
      http_version: '1.1',
      path: '/café/x/y',
      raw_path: '/caf%C3%A9/x%2Fy',
      query_string: 'a=1&b=2&b=3',
      root_path: '',
      client: ['127.0.0.1', 12345],
      server: ['testserver', 80],
      pagi: { version: '0.5', spec_version: '0.6' },
    });
    expect(scope.headers).toEqual([
      ['host', 'testserver'],
      ['content-length', '5'],
      ['x-trace', 'abc'],
    ]);
  });

  it('json and form sugar set content-type and content-length', async () => {
    const client = new TestClient(echoScope);
    const res = await client.post('/', { json: { a: 1 } });
    const { scope, body } = await res.json<{ scope: HTTPScope; body: string }>();
    expect(body).toBe('{"a":1}');
    expect(scope.headers).toContainEqual(['content-type', 'application/json']);
    const form = await (await client.post('/', { form: { x: 'a b' } })).json<{ body: string }>();
    expect(form.body).toBe('x=a+b');
  });

  it('text(), bytes() and trailers', async () => {
    const client = new TestClient(async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, trailers: true });
      await send({ type: 'http.response.body', body: 'ab', more: true });
      await send({ type: 'http.response.body', body: new Uint8Array([99]) });
      await send({ type: 'http.response.trailers', headers: [['x-checksum', 'abc']] });
    });
    const res = await client.get('/');
    expect(await res.text()).toBe('abc');
    expect(Buffer.from(await res.bytes()).toString()).toBe('abc');
    expect(res.trailers?.get('x-checksum')).toBe('abc');
    expect(res.connection.response_complete()).toBe(true);
  });

  it('streams the response chunk by chunk, before the app finished', async () => {
    const second = gate();
    const client = new TestClient(async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'one', more: true });
      await second.wait;
      await send({ type: 'http.response.body', body: 'two', more: true });
      await send({ type: 'http.response.body', body: '' });
    });
    const res = await client.get('/stream');
    const seen: string[] = [];
    for await (const chunk of res) {
      seen.push(Buffer.from(chunk).toString());
      if (seen.length === 1) second.open(); // the first chunk arrived while the app was blocked
    }
    expect(seen).toEqual(['one', 'two']);
  });

  it('delivers an async-iterable request body in more: true chunks', async () => {
    const events: ReceiveEvent[] = [];
    const client = new TestClient(async (_scope, receive, send) => {
      for (;;) {
        const e = await receive();
        events.push(e);
        if (e.type !== 'http.request' || !e.more) break;
      }
      await send({ type: 'http.response.start', status: 204 });
      await send({ type: 'http.response.body' });
    });
    async function* body(): AsyncGenerator<string> {
      yield 'a';
      yield 'b';
    }
    const res = await client.put('/', { body: body() });
    await res.bytes();
    expect(events.map((e) => (e.type === 'http.request' ? `${Buffer.from(e.body).toString()}:${e.more}` : e.type))).toEqual([
      'a:true',
      'b:true',
      ':false',
    ]);
  });

  it('keeps receive() pending after the body until the response is complete, then http.disconnect', async () => {
    const order: string[] = [];
    const client = new TestClient(async (_scope, receive, send) => {
      await receive(); // the (empty) body
      const after = receive().then((e) => order.push(`receive:${e.type}`));
      await new Promise((r) => setTimeout(r, 20));
      order.push('start');
      await send({ type: 'http.response.start', status: 200 });
      order.push('body');
      await send({ type: 'http.response.body', body: 'x' });
      await after;
    });
    const res = await client.get('/');
    await res.text();
    await res.settled();
    expect(order).toEqual(['start', 'body', 'receive:http.disconnect']);
  });

  it('HEAD: headers only, the body is dropped as a server drops it', async () => {
    const client = new TestClient(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['content-length', '5']] });
      await send({ type: 'http.response.body', body: 'hello' });
    });
    const res = await client.head('/');
    expect(res.headers.get('content-length')).toBe('5');
    expect(await res.text()).toBe('');
  });

  it('reads file bodies with offset and length', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pagi-test-'));
    const file = join(dir, 'f.txt');
    writeFileSync(file, '0123456789');
    const client = new TestClient(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', file, offset: 2, length: 3 });
    });
    expect(await (await client.get('/')).text()).toBe('234');
  });
});

describe('TestClient: protocol validation fails the test with the validation message', () => {
  it('a body before the start rejects the request with OutOfOrder (and the app sees the same error)', async () => {
    let appSaw: unknown;
    const client = new TestClient(async (_s, _r, send) => {
      try {
        await send({ type: 'http.response.body', body: 'x' });
      } catch (error) {
        appSaw = error;
        throw error;
      }
    });
    const failure = client.get('/').catch((e: unknown) => e);
    const error = await failure;
    expect(error).toBeInstanceOf(OutOfOrder);
    expect((error as Error).message).toMatch(/http\.response\.body: not allowed in state 'idle' \(expected http\.response\.start\)/);
    expect(appSaw).toBe(error);
  });

  it('a CRLF in a header rejects with InvalidEvent naming the field', async () => {
    const client = new TestClient(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['x-a', 'a\r\nb']] });
    });
    await expect(client.get('/')).rejects.toThrow(InvalidEvent);
    await expect(client.get('/')).rejects.toThrow(/headers\[0\]\[1\]/);
  });

  it('a violation after the start fails the body read', async () => {
    const client = new TestClient(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'x' });
      await send({ type: 'http.response.body', body: 'y' }).catch(() => {});
    });
    const res = await client.get('/');
    // The response completed with 'x'; the extra body was rejected and recorded.
    expect(await res.text()).toBe('x');
    expect(res.events.map((e) => e.type)).toEqual(['http.response.start', 'http.response.body']);
  });

  it('a violation mid-stream fails the body read with the validation message', async () => {
    const client = new TestClient(
      async (_s, _r, send) => {
        await send({ type: 'http.response.start', status: 200 });
        await send({ type: 'http.response.body', body: 'x', more: true });
        await send({ type: 'http.response.trailers', headers: [] });
      },
      { extensions: {} },
    );
    const res = await client.get('/');
    await expect(res.text()).rejects.toThrow(
      /http\.response\.trailers: not allowed in state 'streaming' \(expected a start with trailers: true first \(or the late_trailers extension\)\)/,
    );
  });

  it('a send after the app returned is OutOfOrder', async () => {
    let late: Promise<void> | undefined;
    const client = new TestClient(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'x' });
      setTimeout(() => {
        late = send({ type: 'http.response.body', body: 'late' });
        late.catch(() => {}); // asserted below
      }, 5);
    });
    const res = await client.get('/');
    await res.settled();
    await new Promise((r) => setTimeout(r, 20));
    await expect(late).rejects.toThrow(OutOfOrder);
  });

  it('sends made before the app returned are processed in call order, even unawaited', async () => {
    const client = new TestClient(async (_s, _r, send) => {
      void send({ type: 'http.response.start', status: 200 });
      void send({ type: 'http.response.body', body: 'a', more: true });
      void send({ type: 'http.response.body', body: 'b' });
    });
    const res = await client.get('/');
    expect(await res.text()).toBe('ab');
    expect(res.connection.response_complete()).toBe(true);
  });

  it('returning without a response rejects with NoResponse (missing await hint)', async () => {
    const client = new TestClient(async (_s, _r, send) => {
      void send; // forgot to answer
    });
    await expect(client.get('/')).rejects.toThrow(NoResponse);
    await expect(client.get('/')).rejects.toThrow(/missing await/);
  });

  it('an app exception before the start rejects with that error; raiseAppExceptions: false gives a 500', async () => {
    const boom = new Error('boom');
    const app: App = async () => {
      throw boom;
    };
    await expect(new TestClient(app).get('/')).rejects.toBe(boom);
    const res = await new TestClient(app, { raiseAppExceptions: false }).get('/');
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('Internal Server Error');
    await expect(res.settled()).rejects.toBe(boom);
  });

  it('more: true never followed by a final body: IncompleteResponse, server_error', async () => {
    const client = new TestClient(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'part', more: true });
    });
    const res = await client.get('/');
    await expect(res.text()).rejects.toThrow(IncompleteResponse);
    await expect(res.text()).rejects.toThrow(/more: true was never followed by a final body/);
    expect(res.connection.disconnect_reason()).toBe('server_error');
  });

  it('a wait that never ends fails with TestTimeout', async () => {
    const client = new TestClient(() => new Promise<void>(() => {}), { timeoutMs: 50 });
    await expect(client.get('/')).rejects.toThrow(TestTimeout);
  });
});

describe('TestClient: client disconnects', () => {
  it('an AbortSignal makes the app see http.disconnect and on_disconnect(client_closed)', async () => {
    const seen: string[] = [];
    const started = gate();
    const client = new TestClient(async (scope, receive) => {
      (scope as HTTPScope)['pagi.connection'].on_disconnect((reason) => seen.push(`on_disconnect:${reason}`));
      await receive();
      started.open();
      const event = await receive();
      seen.push(event.type);
    });
    const controller = new AbortController();
    const pending = client.get('/', { signal: controller.signal });
    await started.wait;
    controller.abort();
    await expect(pending).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 10));
    expect(seen.sort()).toEqual(['http.disconnect', 'on_disconnect:client_closed']);
  });

  it('response.disconnect() mid-stream: the next send rejects with Disconnected', async () => {
    let sendError: unknown;
    const more = gate();
    const waiting = gate();
    const client = new TestClient(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'a', more: true });
      waiting.open();
      await more.wait;
      try {
        await send({ type: 'http.response.body', body: 'b', more: true });
      } catch (error) {
        sendError = error;
        throw error;
      }
    });
    const res = await client.get('/');
    await waiting.wait;
    res.disconnect();
    more.open();
    await res.settled(); // Disconnected after the client left is a normal end
    expect(sendError).toBeInstanceOf(Disconnected);
    expect(res.connection.disconnect_reason()).toBe('client_closed');
  });
});

describe('TestClient: sse()', () => {
  const stream: App = async (scope, _receive, send) => {
    if (scope.type !== 'sse') {
      await send({ type: 'http.response.start', status: 406 });
      await send({ type: 'http.response.body', body: 'not an event stream' });
      return;
    }
    if (scope.path === '/refuse') {
      await send({ type: 'http.response.start', status: 204 });
      await send({ type: 'http.response.body' });
      return;
    }
    await send({ type: 'sse.start', headers: [['x-stream', '1']] });
    await send({ type: 'sse.send', data: 'hello' });
    await send({ type: 'sse.comment', comment: 'ping' });
    await send({ type: 'sse.send', event: 'tick', data: 'line1\nline2', id: '7', retry: 1500 });
    await send({ type: 'sse.close' });
  };

  it('yields parsed events {event, data, id, retry} and comments', async () => {
    const client = new TestClient(stream);
    const sse = await client.sse('/events');
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toBe('text/event-stream');
    expect(sse.headers.get('x-stream')).toBe('1');
    const events = [];
    for await (const event of sse) events.push(event);
    expect(events).toEqual([
      { event: 'message', data: 'hello', id: undefined, lastEventId: '', retry: undefined },
      { event: 'tick', data: 'line1\nline2', id: '7', lastEventId: '7', retry: 1500 },
    ]);
    expect(sse.comments).toEqual(['ping']);
  });

  it('an Accept: text/event-stream request gets an sse scope; others get http', async () => {
    const client = new TestClient(stream);
    const res = await client.get('/events', { headers: { accept: 'text/html, text/event-stream' } });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const plain = await client.get('/events', { headers: { accept: 'text/*' } });
    expect(plain.status).toBe(406);
  });

  it('sse.keepalive sends comment ticks until the stream closes', async () => {
    const done = gate();
    const client = new TestClient(async (_s, _r, send) => {
      await send({ type: 'sse.start' });
      await send({ type: 'sse.keepalive', interval: 0.01, comment: 'ka' });
      await done.wait;
      await send({ type: 'sse.send', data: 'end' });
      await send({ type: 'sse.close' });
    });
    const sse = await client.sse('/');
    const iterator = sse.response[Symbol.asyncIterator]();
    expect(Buffer.from((await iterator.next()).value as Uint8Array).toString()).toBe(':ka\n\n');
    done.open();
    const events = [];
    for await (const e of sse) events.push(e.data);
    expect(events).toEqual(['end']);
  });

  it('a refusal rejects with SSERefused', async () => {
    const client = new TestClient(stream);
    await expect(client.sse('/refuse')).rejects.toThrow(SSERefused);
  });

  it('close() disconnects: the app sees sse.disconnect with client_closed', async () => {
    let seen: ReceiveEvent | undefined;
    const client = new TestClient(async (scope, receive, send) => {
      await send({ type: 'sse.start' });
      await send({ type: 'sse.send', data: 'x' });
      await receive();
      seen = await receive();
      void scope;
    });
    const sse = await client.sse('/');
    expect((await sse.next())?.data).toBe('x');
    sse.close();
    await sse.settled();
    expect(seen).toEqual({ type: 'sse.disconnect', reason: 'client_closed' });
  });
});

describe('TestClient: websocket()', () => {
  const echo: App = async (scope, receive, send) => {
    if (scope.type !== 'websocket') throw new Error('websocket only');
    if (scope.path === '/deny') {
      await send({ type: 'http.response.start', status: 401, headers: [['content-type', 'text/plain']] });
      await send({ type: 'http.response.body', body: 'no token' });
      return;
    }
    if (scope.path === '/close-first') {
      await send({ type: 'websocket.close' });
      return;
    }
    expect(await receive()).toEqual({ type: 'websocket.connect' });
    await send(scope.subprotocols.includes('chat') ? { type: 'websocket.accept', subprotocol: 'chat' } : { type: 'websocket.accept' });
    for (;;) {
      const e = await receive();
      if (e.type === 'websocket.disconnect') {
        await send({ type: 'websocket.send', text: 'never' }).catch(() => {});
        return;
      }
      if (e.type !== 'websocket.receive') continue;
      if (e.text === 'bye') {
        await send({ type: 'websocket.close', code: 4000, reason: 'done' });
        return;
      }
      if (e.text !== undefined) await send({ type: 'websocket.send', text: `echo:${e.text}` });
      else await send({ type: 'websocket.send', bytes: e.bytes });
    }
  };

  it('accepts with a subprotocol; text, bytes and json round-trip', async () => {
    const client = new TestClient(echo);
    const ws = await client.websocket('/ws', { subprotocols: ['chat', 'other'] });
    expect(ws.subprotocol).toBe('chat');
    ws.sendText('hi');
    expect(await ws.receiveText()).toBe('echo:hi');
    ws.sendBytes(new Uint8Array([1, 2]));
    expect([...(await ws.receiveBytes())]).toEqual([1, 2]);
    ws.sendJson({ a: 1 });
    expect(await ws.receiveText()).toBe('echo:{"a":1}');
    ws.sendText('bye');
    await expect(ws.receiveText()).rejects.toThrow(WebSocketClosed);
    expect(ws.closed).toEqual({ code: 4000, reason: 'done' });
    await ws.settled();
    expect(ws.connection.response_complete()).toBe(true);
  });

  it('receiveJson parses a text message', async () => {
    const client = new TestClient(async (_s, _r, send) => {
      await send({ type: 'websocket.accept' });
      await send({ type: 'websocket.send', text: '{"n":2}' });
      await send({ type: 'websocket.close' });
    });
    const ws = await client.websocket('/');
    expect(await ws.receiveJson()).toEqual({ n: 2 });
  });

  it('client close(): the app receives websocket.disconnect with the code; later sends reject', async () => {
    const client = new TestClient(echo);
    const ws = await client.websocket('/ws');
    ws.close(4001, 'leaving');
    await ws.settled();
    expect(ws.connection.close_code()).toBe(4001);
  });

  it('an HTTP refusal surfaces as WebSocketDenied with status and body', async () => {
    const client = new TestClient(echo);
    const error = await client.websocket('/deny').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebSocketDenied);
    expect((error as WebSocketDenied).status).toBe(401);
    expect((error as WebSocketDenied).text()).toBe('no token');
    expect((error as WebSocketDenied).code).toBe('ERR_PAGI_WEBSOCKET_DENIED');
  });

  it('websocket.close before accept is a 403 denial', async () => {
    const client = new TestClient(echo);
    await expect(client.websocket('/close-first')).rejects.toMatchObject({ status: 403, code: 'ERR_PAGI_WEBSOCKET_DENIED' });
  });

  it('returning after accept without closing: the client sees 1011', async () => {
    const client = new TestClient(async (_s, _r, send) => {
      await send({ type: 'websocket.accept' });
    });
    const ws = await client.websocket('/');
    await ws.settled();
    await expect(ws.receive()).rejects.toMatchObject({ closeCode: 1011 });
    expect(ws.connection.disconnect_reason()).toBe('server_error');
  });
});

describe('TestClient: lifespan()', () => {
  function lifespanApp(outcome: 'ok' | 'fail' | 'decline'): App {
    return async (scope: Scope, receive, send) => {
      if (scope.type === 'lifespan') {
        if (outcome === 'decline') throw new Error('no lifespan here');
        await receive();
        if (outcome === 'fail') {
          await send({ type: 'lifespan.startup.failed', message: 'db down' });
          return;
        }
        scope.state.db = { name: 'db' };
        await send({ type: 'lifespan.startup.complete' });
        await receive();
        await send({ type: 'lifespan.shutdown.complete' });
        return;
      }
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: JSON.stringify(scope.state) });
    };
  }

  it('start passes state into later scopes (a copy per scope); stop runs shutdown', async () => {
    const client = new TestClient(lifespanApp('ok'));
    const handle = await client.lifespan();
    expect(handle.state).toEqual({ db: { name: 'db' } });
    expect(await (await client.get('/')).json()).toEqual({ db: { name: 'db' } });
    await handle.stop();
  });

  it('startup.failed rejects with LifespanStartupFailed; a decline with LifespanUnsupported', async () => {
    await expect(new TestClient(lifespanApp('fail')).lifespan()).rejects.toThrow(LifespanStartupFailed);
    await expect(new TestClient(lifespanApp('fail')).lifespan()).rejects.toThrow('db down');
    await expect(new TestClient(lifespanApp('decline')).lifespan()).rejects.toThrow(LifespanUnsupported);
  });
});

describe('TestClient: cookies', () => {
  const app: App = async (scope, _receive, send) => {
    if (scope.type !== 'http') return;
    const cookie = scope.headers.find(([n]) => n === 'cookie')?.[1] ?? '';
    const headers: Array<[string, string]> = [];
    if (scope.path === '/login') headers.push(['set-cookie', 'sid=abc; Path=/; HttpOnly'], ['set-cookie', 'theme=dark']);
    if (scope.path === '/logout') headers.push(['set-cookie', 'sid=; Max-Age=0']);
    await send({ type: 'http.response.start', status: 200, headers });
    await send({ type: 'http.response.body', body: cookie });
  };

  it('with cookies: true the client learns set-cookie and sends the cookies back; Max-Age=0 forgets', async () => {
    const client = new TestClient(app, { cookies: true });
    expect(await (await client.get('/')).text()).toBe('');
    await (await client.get('/login')).text();
    expect(await (await client.get('/')).text()).toBe('sid=abc; theme=dark');
    expect(client.cookies.get('sid')).toBe('abc');
    await (await client.get('/logout')).text();
    expect(await (await client.get('/')).text()).toBe('theme=dark');
  });

  it('without the option no cookie is kept', async () => {
    const client = new TestClient(app);
    await (await client.get('/login')).text();
    expect(await (await client.get('/')).text()).toBe('');
  });
});
