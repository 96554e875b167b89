/** WebSocket over HTTP/2 (RFC 8441 extended CONNECT) on `serve({ http2: true })`, with a node:http2 client. */
import { once } from 'node:events';
import http2 from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { App, ReceiveEvent, WebSocketScope } from '../../../src/protocol/types.js';
import { deferred, waitFor, within } from '../helpers.js';
import { startTestServer, type TestServer } from '../test-server.js';
import { closeH2, connectH2, h2request, h2websocket } from './h2-client.js';

/** Disconnect events the app saw, by path. */
const ends = new Map<string, ReceiveEvent>();
/** `/flood`: how many of its sends had resolved. */
let floodResolved = 0;
const FLOOD = { count: 24, size: 32 * 1024 };
/** How each refusal's scope ended (`pagi.connection`): 'clean' or the reason. */
const refusalEnds = new Map<string, string>();
/** `/refuse-slowly` sends its last body once this resolves. */
let refusalGate = deferred<void>();
const accessLines: string[] = [];

const app: App = async (scope, receive, send) => {
  if (scope.type === 'http') {
    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
    await send({ type: 'http.response.body', body: 'plain' });
    return;
  }
  if (scope.type !== 'websocket') return;
  const ws = scope as WebSocketScope;
  await receive(); // websocket.connect
  const key = ws.path + (ws.query_string ? `?${ws.query_string}` : '');
  if (ws.path === '/refuse-clean' || ws.path === '/refuse-slowly') {
    void ws['pagi.connection'].end_future().then((reason) => refusalEnds.set(ws.path, reason ?? 'clean'));
  }
  if (ws.path === '/refuse-slowly') {
    await send({ type: 'http.response.start', status: 403, headers: [['content-type', 'text/plain']] });
    await send({ type: 'http.response.body', body: 'not ', more: true });
    await refusalGate.promise;
    // The client reset the stream meanwhile: the send reports the disconnect.
    await send({ type: 'http.response.body', body: 'you' }).catch(() => undefined);
    return;
  }
  if (ws.path === '/refuse' || ws.path === '/refuse-clean') {
    await send({ type: 'http.response.start', status: 403, headers: [['content-type', 'text/plain'], ['x-why', 'policy']] });
    await send({ type: 'http.response.body', body: 'not you' });
    return;
  }
  if (ws.path === '/close-before-accept') {
    await send({ type: 'websocket.close' });
    return;
  }
  const subprotocol = ws.subprotocols[0];
  await send({ type: 'websocket.accept', ...(subprotocol ? { subprotocol } : {}), headers: [['x-accepted', 'yes']] });
  if (ws.path === '/flood') {
    floodResolved = 0;
    for (let i = 0; i < FLOOD.count; i++) {
      await send({ type: 'websocket.send', bytes: new Uint8Array(FLOOD.size).fill(i) });
      floodResolved++;
    }
  }
  if (ws.path === '/ping') await send({ type: 'websocket.keepalive', interval: 0.05 });
  // First message: what the scope said.
  await send({
    type: 'websocket.send',
    text: JSON.stringify({
      http_version: ws.http_version,
      scheme: ws.scheme,
      path: ws.path,
      query_string: ws.query_string,
      subprotocols: ws.subprotocols,
      headers: ws.headers,
      client: ws.client,
    }),
  });
  for (;;) {
    const event = await receive();
    if (event.type === 'websocket.disconnect') {
      ends.set(key, event);
      return;
    }
    if (event.type !== 'websocket.receive') continue;
    if (event.text === 'close-me') {
      await send({ type: 'websocket.close', code: 4001, reason: 'bye' });
    } else if (event.text !== undefined) {
      await send({ type: 'websocket.send', text: `echo:${event.text}` });
    } else {
      await send({ type: 'websocket.send', bytes: event.bytes as Uint8Array });
    }
  }
};

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return within(
    new Promise((resolve) => ws.once('message', (data: Buffer, binary: boolean) => resolve({ data, binary }))),
    5000,
    'websocket message',
  );
}

function closed(ws: WebSocket): Promise<[number, string]> {
  return within(
    new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve([code, reason.toString()]))),
    5000,
    'websocket close',
  );
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(app, { http2: true, accessLog: (line) => void accessLines.push(line) });
});
afterAll(async () => {
  await server.close();
});

describe('WebSocket over HTTP/2 (RFC 8441)', () => {
  it('accepts with :status 200 and the subprotocol; scope from the request; text and binary echo; close codes both ways', async () => {
    const session = await connectH2(server.url);
    try {
      expect(session.remoteSettings.enableConnectProtocol).toBe(true);
      const a = await h2websocket(session, '/chat%20room?x=1', { 'sec-websocket-protocol': 'v2, v1', 'x-test': 'yes' });
      expect(a.status).toBe(200);
      expect(a.headers['sec-websocket-protocol']).toBe('v2');
      expect(a.headers['x-accepted']).toBe('yes');
      expect(a.headers['sec-websocket-accept']).toBeUndefined();
      const ws = a.ws as WebSocket;
      const seen = JSON.parse((await within(a.first, 5000, 'first')).toString()) as Record<string, unknown>;
      expect(seen).toMatchObject({ http_version: '2', scheme: 'ws', path: '/chat room', query_string: 'x=1', subprotocols: ['v2', 'v1'] });
      const headers = seen.headers as Array<[string, string]>;
      expect(headers.some(([n]) => n.startsWith(':'))).toBe(false);
      expect(headers[0]).toEqual(['host', `127.0.0.1:${server.port}`]);
      expect(headers).toContainEqual(['x-test', 'yes']);
      expect((seen.client as [string, number])[0]).toBe('127.0.0.1');

      ws.send('hi');
      expect((await nextMessage(ws)).data.toString()).toBe('echo:hi');
      ws.send(Buffer.from([1, 2, 3]));
      const bin = await nextMessage(ws);
      expect(bin.binary).toBe(true);
      expect([...bin.data]).toEqual([1, 2, 3]);

      // Server-initiated close: the client sees the app's code and reason.
      const done = closed(ws);
      ws.send('close-me');
      expect(await done).toEqual([4001, 'bye']);

      // The session still serves plain requests.
      expect((await h2request(session, { ':path': '/' })).body).toBe('plain');
    } finally {
      await closeH2(session);
    }
  });

  it('client-initiated close: the app sees the client code and reason', async () => {
    const session = await connectH2(server.url);
    try {
      // Client-initiated close: the app sees the client's code and reason.
      const b = await h2websocket(session, '/client-closes');
      const wsb = b.ws as WebSocket;
      await within(b.first, 5000, 'first');
      const doneB = closed(wsb);
      wsb.close(4321, 'leaving');
      expect((await doneB)[0]).toBe(4321);
      await waitFor(() => ends.has('/client-closes'), 5000, 'app disconnect');
      expect(ends.get('/client-closes')).toMatchObject({ type: 'websocket.disconnect', code: 4321, reason: 'leaving' });

    } finally {
      await closeH2(session);
    }
  });

  it("a refusal is the app's own response on that stream; close before accept is 403", async () => {
    const session = await connectH2(server.url);
    try {
      const r = await h2websocket(session, '/refuse');
      expect(r.status).toBe(403);
      expect(r.headers['x-why']).toBe('policy');
      expect(await within(r.body, 5000, 'refusal body')).toBe('not you');
      expect((await h2websocket(session, '/close-before-accept')).status).toBe(403);
    } finally {
      await closeH2(session);
    }
  });

  it('a refusal ends cleanly once sent; a refusal the client resets is client_closed; one access log line each', async () => {
    const session = await connectH2(server.url);
    refusalGate = deferred<void>();
    try {
      const clean = await h2websocket(session, '/refuse-clean');
      expect(await within(clean.body, 5000, 'refusal body')).toBe('not you');
      // The compat response emits 'finish' on every stream close: the clean one must not read as a reset.
      await waitFor(() => refusalEnds.has('/refuse-clean'), 5000, 'end of the clean refusal');
      expect(refusalEnds.get('/refuse-clean')).toBe('clean');

      const reset = await h2websocket(session, '/refuse-slowly');
      expect(reset.status).toBe(403);
      const closed = once(reset.stream, 'close');
      reset.stream.close(http2.constants.NGHTTP2_CANCEL);
      await within(closed, 5000, 'client stream close');
      await waitFor(() => refusalEnds.has('/refuse-slowly'), 5000, 'end of the reset refusal');
      expect(refusalEnds.get('/refuse-slowly')).toBe('client_closed');
      refusalGate.resolve();
      for (const path of ['/refuse-clean', '/refuse-slowly']) {
        await waitFor(() => accessLines.some((line) => line.includes(`"CONNECT ${path} HTTP/2.0" 403`)), 5000, `access log of ${path}`);
        expect(accessLines.filter((line) => line.includes(`CONNECT ${path} `))).toHaveLength(1);
      }
    } finally {
      refusalGate.resolve();
      await closeH2(session);
    }
  });

  it('RST_STREAM of one WebSocket stream disconnects that scope only; another on the session keeps going', async () => {
    const session = await connectH2(server.url);
    try {
      const gone = await h2websocket(session, '/reset-me');
      const stays = await h2websocket(session, '/stays');
      await within(gone.first, 5000, 'first');
      await within(stays.first, 5000, 'first');
      gone.stream.close(http2.constants.NGHTTP2_CANCEL);
      await waitFor(() => ends.has('/reset-me'), 5000, 'disconnect of the reset scope');
      expect(ends.get('/reset-me')).toMatchObject({ type: 'websocket.disconnect', code: 1006 });
      const ws = stays.ws as WebSocket;
      ws.send('still');
      expect((await nextMessage(ws)).data.toString()).toBe('echo:still');
      expect(ends.has('/stays')).toBe(false);
      ws.close(1000);
      await closed(ws);
    } finally {
      await closeH2(session);
    }
  });

  it('the client answers server pings (websocket.keepalive); a client ping gets its pong', async () => {
    const session = await connectH2(server.url);
    try {
      const a = await h2websocket(session, '/ping');
      const ws = a.ws as WebSocket;
      await within(once(ws, 'ping'), 5000, 'server ping');
      const pong = within(once(ws, 'pong'), 5000, 'pong');
      ws.ping('x');
      expect(String((await pong)[0])).toBe('x');
      ws.close(1000);
      await closed(ws);
    } finally {
      await closeH2(session);
    }
  });

  it('backpressure: sends wait while the client does not read (stream flow control); all arrive once it reads', async () => {
    const session = await connectH2(server.url);
    try {
      const a = await h2websocket(session, '/flood');
      const ws = a.ws as WebSocket;
      ws.pause();
      await new Promise((r) => setTimeout(r, 200));
      // 768 KiB offered against a 64 KiB stream window: most sends are still waiting.
      expect(floodResolved).toBeLessThan(FLOOD.count);
      // Another stream on the same session is not stalled by it.
      expect((await h2request(session, { ':path': '/' })).body).toBe('plain');
      let got = 0;
      ws.on('message', () => got++);
      ws.resume();
      await waitFor(() => got === FLOOD.count + 1, 5000, 'every flood message');
      expect(floodResolved).toBe(FLOOD.count);
      ws.close(1000);
      await closed(ws);
    } finally {
      await closeH2(session);
    }
  });

  it('bad handshakes: a wrong Sec-WebSocket-Version is 400, another :protocol is 501, plain CONNECT is 405', async () => {
    const session = await connectH2(server.url);
    try {
      const v = await h2websocket(session, '/x', { 'sec-websocket-version': '8' });
      expect(v.status).toBe(400);
      expect(v.headers['sec-websocket-version']).toBe('13');
      expect((await h2websocket(session, '/x', { ':protocol': 'bytestream' })).status).toBe(501);
      const tunnel = await within(
        new Promise<number>((resolve) => {
          const req = session.request({ ':method': 'CONNECT', ':authority': 'example.com:443' }, { endStream: false });
          req.on('error', () => {});
          req.once('response', (h) => {
            resolve(Number(h[':status']));
            req.close();
          });
        }),
        5000,
        'plain CONNECT',
      );
      expect(tunnel).toBe(405);
    } finally {
      await closeH2(session);
    }
  });

  it('graceful shutdown: open WebSockets over h2 get 1001, the session GOAWAY', async () => {
    const own = await startTestServer(app, { http2: true });
    const session = await connectH2(own.url);
    try {
      const a = await h2websocket(session, '/until-shutdown');
      const ws = a.ws as WebSocket;
      await within(a.first, 5000, 'first');
      const goaway = within(once(session, 'goaway'), 5000, 'goaway');
      const done = closed(ws);
      const closing = own.close();
      expect((await done)[0]).toBe(1001);
      await goaway;
      await within(closing, 5000, 'server close');
    } finally {
      session.destroy();
    }
  });
});

describe('WebSocket over HTTP/2: the server admission and proxy options', () => {
  it('limitConcurrency counts h2 WebSockets: beyond it 503 + Retry-After; released on close', async () => {
    const own = await startTestServer(app, { http2: true, limitConcurrency: 1 });
    const session = await connectH2(own.url);
    try {
      const first = await h2websocket(session, '/one');
      await within(first.first, 5000, 'first');
      const second = await h2websocket(session, '/two');
      expect(second.status).toBe(503);
      expect(second.headers['retry-after']).toBe('1');
      const ws = first.ws as WebSocket;
      ws.close(1000);
      await closed(ws);
      await waitFor(() => ends.has('/one'), 5000, 'first released');
      const third = deferred<number>();
      // Release happens when the stream closes, just after the close handshake.
      await waitFor(() => true);
      for (let i = 0; i < 20; i++) {
        const again = await h2websocket(session, '/three');
        if (again.status === 200) {
          third.resolve(200);
          (again.ws as WebSocket).terminate();
          break;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(await within(third.promise, 1000, 'admitted again')).toBe(200);
    } finally {
      await closeH2(session);
      await own.close();
    }
  });

  it('proxyHeaders: a trusted peer sets client and scheme (wss) of an h2 WebSocket scope', async () => {
    const own = await startTestServer(app, { http2: true, proxyHeaders: true });
    const session = await connectH2(own.url);
    try {
      const a = await h2websocket(session, '/proxied', { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' });
      const ws = a.ws as WebSocket;
      const seen = JSON.parse((await within(a.first, 5000, 'first')).toString()) as { scheme: string; client: [string, number] };
      expect(seen.scheme).toBe('wss');
      expect(seen.client[0]).toBe('203.0.113.9');
      ws.close(1000);
      await closed(ws);
    } finally {
      await closeH2(session);
      await own.close();
    }
  });
});
