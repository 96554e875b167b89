import { once } from 'node:events';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Disconnected } from '../../src/protocol/errors.js';
import type { App, ConnectionState, ReceiveEvent, Scope, WebSocketScope } from '../../src/protocol/types.js';
import { connect, deferred, readAll, waitFor, within } from './helpers.js';
import { startTestServer, type TestServer } from './test-server.js';

let server: TestServer | undefined;
const clients: WebSocket[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await server?.close();
  server = undefined;
});

async function start(app: App, options: Parameters<typeof startTestServer>[1] = {}): Promise<TestServer> {
  server = await startTestServer(app, options);
  return server;
}

function client(url: string, protocols?: string[], options: WebSocket.ClientOptions = {}): WebSocket {
  const ws = new WebSocket(url, protocols, options);
  ws.on('error', () => {});
  clients.push(ws);
  return ws;
}

async function opened(ws: WebSocket): Promise<void> {
  await within(once(ws, 'open'), 5000, 'open');
}

async function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  const [code, reason] = (await within(once(ws, 'close'), 10_000, 'close')) as [number, Buffer];
  return { code, reason: reason.toString() };
}

function conn(scope: Scope): ConnectionState {
  return (scope as WebSocketScope)['pagi.connection'];
}

/** The HTTP answer a refused handshake got. */
async function refusal(ws: WebSocket): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  const [, res] = (await within(once(ws, 'unexpected-response'), 5000, 'unexpected-response')) as [
    unknown,
    IncomingMessage,
  ];
  let body = '';
  res.setEncoding('utf8');
  for await (const chunk of res) body += chunk as string;
  return { status: res.statusCode ?? 0, headers: res.headers, body };
}

/** Echo app: accepts (with the last offered subprotocol) and echoes until the peer closes. */
const echo: App = async (scope, receive, send) => {
  if (scope.type !== 'websocket') throw new Error('websocket only');
  await receive();
  const subprotocol = scope.subprotocols.at(-1);
  await send({ type: 'websocket.accept', ...(subprotocol ? { subprotocol } : {}), headers: [['x-echo', 'yes']] });
  for (;;) {
    const event = await receive();
    if (event.type !== 'websocket.receive') return;
    await send(event.text !== undefined ? { type: 'websocket.send', text: event.text } : { type: 'websocket.send', bytes: event.bytes });
  }
};

describe('websocket handshake', () => {
  it('accepts, negotiates a subprotocol, adds headers and echoes text and binary', async () => {
    const { wsUrl } = await start(echo);
    const ws = client(`${wsUrl}/chat?room=1`, ['one', 'two']);
    const upgrade = within(once(ws, 'upgrade'), 5000, 'upgrade') as Promise<[IncomingMessage]>;
    await opened(ws);
    const [res] = await upgrade;
    expect(res.headers['x-echo']).toBe('yes');
    expect(ws.protocol).toBe('two');
    ws.send('héllo');
    const [text, isBinary] = (await once(ws, 'message')) as [Buffer, boolean];
    expect(isBinary).toBe(false);
    expect(text.toString()).toBe('héllo');
    ws.send(Buffer.from([0, 1, 2, 255]));
    const [bytes, binary] = (await once(ws, 'message')) as [Buffer, boolean];
    expect(binary).toBe(true);
    expect([...bytes]).toEqual([0, 1, 2, 255]);
    ws.close(1000);
    expect((await closed(ws)).code).toBe(1000);
  });

  it('builds the websocket scope; receive() before the answer waits for it', async () => {
    const seen = deferred<WebSocketScope>();
    const first = deferred<ReceiveEvent>();
    const { wsUrl, port } = await start(
      async (scope, receive, send) => {
        if (scope.type !== 'websocket') return;
        seen.resolve(scope);
        expect(await receive()).toEqual({ type: 'websocket.connect' });
        // Answer late: the client's first message is already waiting in the socket.
        await new Promise((r) => setTimeout(r, 100));
        await send({ type: 'websocket.accept', subprotocol: 'p1' });
        first.resolve(await receive());
        await send({ type: 'websocket.close' });
      },
      { rootPath: '/base', state: { db: 'handle' } },
    );
    const ws = client(`${wsUrl}/a%20b?x=1`, ['p1', 'p2']);
    // ws buffers sends made before 'open'; send right after the handshake.
    ws.on('open', () => ws.send('early'));
    const scope = await within(seen.promise, 5000, 'scope');
    expect(scope).toMatchObject({
      type: 'websocket',
      pagi: { version: '0.5', spec_version: '0.6' },
      http_version: '1.1',
      scheme: 'ws',
      path: '/a b',
      raw_path: '/base/a%20b',
      query_string: 'x=1',
      root_path: '/base',
      subprotocols: ['p1', 'p2'],
      state: { db: 'handle' },
      extensions: {},
      client: ['127.0.0.1', expect.any(Number)],
      server: ['127.0.0.1', port],
    });
    expect(scope.headers.find(([n]) => n === 'sec-websocket-key')).toBeDefined();
    expect(scope.headers.find(([n]) => n === 'upgrade')?.[1]).toBe('websocket');
    expect(await within(first.promise, 5000, 'first message')).toEqual({ type: 'websocket.receive', text: 'early' });
    expect((await closed(ws)).code).toBe(1000);
  });

  it('refuses with 403 when the app closes before accepting', async () => {
    const after = deferred<ReceiveEvent>();
    const { wsUrl } = await start(async (_scope, receive, send) => {
      await send({ type: 'websocket.close', code: 4000, reason: 'not you' });
      after.resolve(await receive());
    });
    const answer = await refusal(client(wsUrl));
    expect(answer.status).toBe(403);
    expect(answer.body).toBe('');
    expect(answer.headers.connection).toBe('close');
    expect(await within(after.promise, 5000, 'receive after refusal')).toEqual({ type: 'websocket.connect' });
  });

  it('sends a custom refusal with status, headers and a streamed body', async () => {
    const { wsUrl } = await start(async (scope, receive, send) => {
      await receive();
      await expect(send({ type: 'http.response.start', status: 200 })).rejects.toThrow(/status/);
      await send({ type: 'http.response.start', status: 401, headers: [['www-authenticate', 'Bearer'], ['content-type', 'text/plain']] });
      await send({ type: 'http.response.body', body: 'log in ', more: true });
      await send({ type: 'http.response.body', body: 'first' });
      expect(conn(scope).response_complete()).toBe(true);
      expect(await receive()).toEqual({ type: 'http.disconnect' });
    });
    const answer = await refusal(client(wsUrl));
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe('Bearer');
    expect(answer.body).toBe('log in first');
  });

  it('answers 500 without a handshake when the app throws before accepting', async () => {
    const logged: string[] = [];
    const { wsUrl } = await start(
      async () => {
        throw new Error('boom');
      },
      { logSink: logged },
    );
    const answer = await refusal(client(wsUrl));
    expect(answer.status).toBe(500);
    await waitFor(() => logged.some((l) => l.includes('boom')), 2000, 'error logged');
  });

  it('answers 500 when the app returns without answering', async () => {
    const { wsUrl } = await start(async () => {});
    expect((await refusal(client(wsUrl))).status).toBe(500);
  });

  it('rejects a malformed handshake with 400 without calling the app', async () => {
    let called = false;
    const { port } = await start(async (scope) => {
      if (scope.type === 'websocket') called = true;
    });
    const socket = await connect(port);
    const all = readAll(socket);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n');
    const text = (await all).toString();
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(called).toBe(false);
  });

  it('abort() before accepting drops the connection without a response', async () => {
    const { wsUrl } = await start(async (scope) => {
      conn(scope).abort('nope');
    });
    const ws = client(wsUrl);
    const [err] = (await within(once(ws, 'error'), 5000, 'error')) as [Error];
    expect(err.message).toMatch(/socket hang up|ECONNRESET/);
  });
});

describe('websocket messages and closing', () => {
  it('moves 1 MB text and binary messages both ways', async () => {
    const { wsUrl } = await start(echo);
    const ws = client(wsUrl);
    await opened(ws);
    const big = Buffer.alloc(1024 * 1024, 7);
    ws.send(big);
    const [bytes] = (await within(once(ws, 'message'), 10_000, 'binary echo')) as [Buffer];
    expect(bytes.equals(big)).toBe(true);
    const text = 'ü'.repeat(512 * 1024);
    ws.send(text);
    const [back] = (await within(once(ws, 'message'), 10_000, 'text echo')) as [Buffer];
    expect(back.toString()).toBe(text);
  });

  it('passes the peer close code and reason to the app; sends afterwards reject with Disconnected', async () => {
    const result = deferred<{ event: ReceiveEvent; error: unknown; code: number | undefined; reason: string | undefined }>();
    const { wsUrl } = await start(async (scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept' });
      const event = await receive();
      const error = await send({ type: 'websocket.send', text: 'late' }).catch((e: unknown) => e);
      const c = conn(scope);
      result.resolve({ event, error, code: c.close_code(), reason: c.close_reason() });
    });
    const ws = client(wsUrl);
    await opened(ws);
    ws.close(4002, 'see you');
    const r = await within(result.promise, 5000, 'app result');
    expect(r.event).toEqual({ type: 'websocket.disconnect', code: 4002, reason: 'see you' });
    expect(r.error).toBeInstanceOf(Disconnected);
    expect((r.error as Disconnected).reason).toBe('client_closed');
    expect(r.code).toBe(4002);
    expect(r.reason).toBe('see you');
  });

  it('sends the app close code and reason; the app then receives the disconnect', async () => {
    const result = deferred<{ event: ReceiveEvent; complete: boolean }>();
    const { wsUrl } = await start(async (scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept' });
      await send({ type: 'websocket.close', code: 4001, reason: 'bye' });
      await send({ type: 'websocket.close', code: 4001, reason: 'bye' }); // repeated: no-op
      const event = await receive();
      result.resolve({ event, complete: conn(scope).response_complete() });
    });
    const ws = client(wsUrl);
    expect(await closed(ws)).toEqual({ code: 4001, reason: 'bye' });
    const r = await within(result.promise, 5000, 'app result');
    expect(r.event).toMatchObject({ type: 'websocket.disconnect', code: 4001 });
    expect(r.complete).toBe(true);
  });

  it('closes with 1011 when the app returns without closing', async () => {
    const reason = deferred<string | undefined>();
    const { wsUrl } = await start(
      async (scope, _receive, send) => {
        await send({ type: 'websocket.accept' });
        conn(scope).on_disconnect((r) => reason.resolve(r));
      },
      { logSink: [] },
    );
    const ws = client(wsUrl);
    expect((await closed(ws)).code).toBe(1011);
    expect(await within(reason.promise, 5000, 'on_disconnect')).toBe('server_error');
  });

  it('fails a text frame with invalid UTF-8 with 1007', async () => {
    const event = deferred<ReceiveEvent>();
    const { port } = await start(async (_scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept' });
      event.resolve(await receive());
    });
    const socket = await connect(port);
    const key = Buffer.alloc(16, 1).toString('base64');
    const data = readAll(socket);
    socket.write(
      `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    const mask = Buffer.from([1, 2, 3, 4]);
    const payload = Buffer.from([0xff, 0xfe, 0x41]).map((b, i) => b ^ (mask[i % 4] as number));
    socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | 3]), mask, payload]));
    expect(await within(event.promise, 5000, 'disconnect')).toEqual({ type: 'websocket.disconnect', code: 1007, reason: 'protocol_error' });
    socket.end();
    const bytes = await data;
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    const head = bytes.toString('latin1');
    expect(head).toContain(`Sec-WebSocket-Accept: ${accept}`);
    // The server's Close frame: opcode 8, code 1007.
    const frame = bytes.subarray(bytes.indexOf('\r\n\r\n') + 4);
    expect(frame[0]).toBe(0x88);
    expect(frame.readUInt16BE(2)).toBe(1007);
  });

  it('enforces the maximum message size with 1009', async () => {
    const event = deferred<ReceiveEvent>();
    const { wsUrl } = await start(
      async (_scope, receive, send) => {
        await receive();
        await send({ type: 'websocket.accept' });
        event.resolve(await receive());
      },
      { websocket: { maxMessageSize: 1024 } },
    );
    const ws = client(wsUrl);
    await opened(ws);
    ws.send(Buffer.alloc(2048));
    expect((await closed(ws)).code).toBe(1009);
    expect(await within(event.promise, 5000, 'disconnect')).toEqual({ type: 'websocket.disconnect', code: 1009, reason: 'protocol_error' });
  });

  it('ends the session with keepalive_timeout when pongs stop', async () => {
    const event = deferred<ReceiveEvent>();
    const { wsUrl } = await start(async (_scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept' });
      await send({ type: 'websocket.keepalive', interval: 0.05, timeout: 0.2 });
      event.resolve(await receive());
    });
    const ws = client(wsUrl, undefined, { autoPong: false });
    let pings = 0;
    ws.on('ping', () => pings++);
    expect(await within(event.promise, 5000, 'disconnect')).toEqual({ type: 'websocket.disconnect', code: 1006, reason: 'keepalive_timeout' });
    expect(pings).toBeGreaterThan(0);
    expect((await closed(ws)).code).toBe(1006);
  });

  it('keeps a session alive while pongs come back', async () => {
    const { wsUrl } = await start(async (_scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept' });
      await send({ type: 'websocket.keepalive', interval: 0.05, timeout: 3 });
      const event = await receive();
      if (event.type === 'websocket.receive') await send({ type: 'websocket.send', text: 'still here' });
      await send({ type: 'websocket.close' });
    });
    const ws = client(wsUrl);
    let pings = 0;
    ws.on('ping', () => pings++);
    await opened(ws);
    await waitFor(() => pings >= 5, 5000, 'five pings');
    ws.send('hi');
    const [msg] = (await within(once(ws, 'message'), 5000, 'reply')) as [Buffer];
    expect(msg.toString()).toBe('still here');
  });

  it('closes with 1008 when the app does not read and the queue overflows', async () => {
    const { wsUrl } = await start(
      async (_scope, _receive, send) => {
        await send({ type: 'websocket.accept' });
        await new Promise((r) => setTimeout(r, 3000));
      },
      { websocket: { maxQueue: 5 } },
    );
    const ws = client(wsUrl);
    await opened(ws);
    for (let i = 0; i < 10; i++) ws.send(`m${i}`);
    expect((await closed(ws)).code).toBe(1008);
  });

  it('applies backpressure: sends wait while the client does not read', async () => {
    const total = 48;
    let resolved = 0;
    const { wsUrl } = await start(async (_scope, receive, send) => {
      await receive();
      await send({ type: 'websocket.accept' });
      const chunk = Buffer.alloc(1024 * 1024, 1);
      for (let i = 0; i < total; i++) {
        await send({ type: 'websocket.send', bytes: chunk });
        resolved++;
      }
      await receive();
    });
    const ws = client(wsUrl);
    let received = 0;
    ws.on('message', () => received++);
    await opened(ws);
    // Stop reading: the kernel buffers fill and the server's sends must stop resolving.
    ws.pause();
    let last = -1;
    await waitFor(
      () => {
        const stable = resolved === last;
        last = resolved;
        return stable && resolved > 0;
      },
      10_000,
      'sends to stall',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(resolved).toBeLessThan(total);
    ws.resume();
    await waitFor(() => received === total, 20_000, 'all messages');
    expect(resolved).toBe(total);
  });

  it('copies state into each scope (top-level keys private, values shared)', async () => {
    const shared = { hits: 0 };
    const scopes: WebSocketScope[] = [];
    const { wsUrl } = await start(
      async (scope, _receive, send) => {
        if (scope.type !== 'websocket') return;
        scopes.push(scope);
        (scope.state.counter as { hits: number }).hits++;
        scope.state.mine = scopes.length;
        await send({ type: 'websocket.close' });
      },
      { state: { counter: shared } },
    );
    await refusal(client(wsUrl));
    await refusal(client(wsUrl));
    expect(shared.hits).toBe(2);
    expect(scopes[0]?.state.mine).toBe(1);
    expect(scopes[1]?.state.mine).toBe(2);
  });

  it('delivers frames the client sent before the app accepted', async () => {
    const received = deferred<ReceiveEvent[]>();
    const { port } = await start(async (scope, receive, send) => {
      if (scope.type !== 'websocket') return;
      await receive();
      // Let the client's frames sit in the paused socket first.
      await new Promise((r) => setTimeout(r, 100));
      await send({ type: 'websocket.accept' });
      received.resolve([await receive(), await receive()]);
      await send({ type: 'websocket.close' });
    });
    const socket = await connect(port);
    socket.on('data', () => {});
    const key = Buffer.alloc(16, 2).toString('base64');
    socket.write(
      `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    socket.write(Buffer.concat([maskedFrame(0x1, Buffer.from('first')), maskedFrame(0x2, Buffer.from([9, 8]))]));
    expect(await within(received.promise, 5000, 'early frames')).toEqual([
      { type: 'websocket.receive', text: 'first' },
      { type: 'websocket.receive', bytes: Buffer.from([9, 8]) },
    ]);
    socket.destroy();
  });

  it('ends the session with write_timeout when a send waits too long', async () => {
    const outcome = deferred<{ error: unknown; event: ReceiveEvent }>();
    const { wsUrl } = await start(
      async (scope, receive, send) => {
        if (scope.type !== 'websocket') return;
        await receive();
        await send({ type: 'websocket.accept' });
        const chunk = Buffer.alloc(1024 * 1024);
        let error: unknown;
        try {
          for (let i = 0; i < 256; i++) await send({ type: 'websocket.send', bytes: chunk });
        } catch (err) {
          error = err;
        }
        outcome.resolve({ error, event: await receive() });
      },
      { websocket: { sendTimeout: 0.3 } },
    );
    const ws = client(wsUrl);
    await opened(ws);
    ws.pause();
    const { error, event } = await within(outcome.promise, 20_000, 'write timeout');
    expect(error).toBeInstanceOf(Disconnected);
    expect((error as Disconnected).reason).toBe('write_timeout');
    expect(event).toEqual({ type: 'websocket.disconnect', code: 1006, reason: 'write_timeout' });
  });

  it('writes an access log line per session', async () => {
    const lines: string[] = [];
    const { wsUrl } = await start(echo, { accessLog: (line) => lines.push(line) });
    const ws = client(`${wsUrl}/live`);
    await opened(ws);
    ws.close();
    await closed(ws);
    await waitFor(() => lines.length === 1, 5000, 'access log line');
    expect(lines[0]).toMatch(/"GET \/live HTTP\/1\.1" 101 -$/);
  });

  it('ends with close_timeout when the peer never answers our Close', async () => {
    const reason = deferred<string>();
    const { port } = await start(
      async (scope, receive, send) => {
        if (scope.type !== 'websocket') return;
        await receive();
        await send({ type: 'websocket.accept' });
        await send({ type: 'websocket.close', code: 4000 });
        reason.resolve(await scope['pagi.connection'].disconnect_future());
        expect(await receive()).toEqual({ type: 'websocket.disconnect', code: 1006, reason: 'close_timeout' });
      },
      { websocket: { closeTimeout: 0.2 } },
    );
    const socket = await connect(port);
    const data = readAll(socket);
    socket.write(
      `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.alloc(16, 3).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    expect(await within(reason.promise, 5000, 'close_timeout')).toBe('close_timeout');
    await data;
  });

  it('queues overlapping sends in call order, across backpressure waits', async () => {
    const { wsUrl } = await start(async (scope, receive, send) => {
      if (scope.type !== 'websocket') return;
      await receive();
      await send({ type: 'websocket.accept' });
      const big = Buffer.alloc(2 * 1024 * 1024, 1);
      await Promise.all([
        send({ type: 'websocket.send', text: 'a' }),
        send({ type: 'websocket.send', bytes: big }),
        send({ type: 'websocket.send', text: 'b' }),
        send({ type: 'websocket.send', bytes: big }),
        send({ type: 'websocket.send', text: 'c' }),
        send({ type: 'websocket.close' }),
      ]);
    });
    const ws = client(wsUrl);
    const got: string[] = [];
    ws.on('message', (data: Buffer, binary: boolean) => got.push(binary ? `bytes:${data.length}` : data.toString()));
    expect((await closed(ws)).code).toBe(1000);
    expect(got).toEqual(['a', 'bytes:2097152', 'b', 'bytes:2097152', 'c']);
  });

  it('reports a client that leaves during the handshake as 1006 client_closed', async () => {
    const event = deferred<ReceiveEvent>();
    const { port } = await start(async (scope, receive) => {
      if (scope.type !== 'websocket') return;
      await receive();
      event.resolve(await receive());
    });
    const socket = await connect(port);
    socket.write(
      `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.alloc(16, 4).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await new Promise((r) => setTimeout(r, 50));
    socket.resetAndDestroy();
    expect(await within(event.promise, 5000, 'disconnect')).toEqual({ type: 'websocket.disconnect', code: 1006, reason: 'client_closed' });
  });

  it('fails a frame with reserved bits set with 1002 protocol_error', async () => {
    const event = deferred<ReceiveEvent>();
    const { port } = await start(async (scope, receive, send) => {
      if (scope.type !== 'websocket') return;
      await receive();
      await send({ type: 'websocket.accept' });
      event.resolve(await receive());
    });
    const socket = await connect(port);
    socket.on('data', () => {});
    socket.write(
      `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.alloc(16, 5).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    const frame = maskedFrame(0x1, Buffer.from('x'));
    frame[0] = (frame[0] as number) | 0x40; // RSV1 without a negotiated extension
    socket.write(frame);
    expect(await within(event.promise, 5000, 'disconnect')).toEqual({ type: 'websocket.disconnect', code: 1002, reason: 'protocol_error' });
    socket.destroy();
  });

  it('cuts an unfinished refusal without its terminator (incomplete, server_error)', async () => {
    const reason = deferred<string>();
    const { port } = await start(
      async (scope, _receive, send) => {
        if (scope.type !== 'websocket') return;
        scope['pagi.connection'].on_disconnect((r) => reason.resolve(r));
        await send({ type: 'http.response.start', status: 400 });
        await send({ type: 'http.response.body', body: 'partial', more: true });
      },
      { logSink: [] },
    );
    const socket = await connect(port);
    const data = readAll(socket);
    socket.write(
      `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.alloc(16, 6).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    const text = (await data).toString();
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toContain('partial');
    expect(text.endsWith('0\r\n\r\n')).toBe(false);
    expect(await within(reason.promise, 5000, 'on_disconnect')).toBe('server_error');
  });

  it('is not cut by the HTTP request timeouts once upgraded', async () => {
    const { wsUrl } = await start(echo, { requestTimeout: 0.5, headersTimeout: 0.3 });
    const ws = client(wsUrl);
    await opened(ws);
    await new Promise((r) => setTimeout(r, 1500));
    ws.send('still open');
    const [message] = (await within(once(ws, 'message'), 5000, 'echo')) as [Buffer];
    expect(message.toString()).toBe('still open');
  });
});

/** A masked client frame (payload < 126 bytes). */
function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const mask = Buffer.from([7, 7, 7, 7]);
  const masked = payload.map((b, i) => b ^ (mask[i % 4] as number));
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
}
