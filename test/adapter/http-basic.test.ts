import { afterEach, describe, expect, it } from 'vitest';
import type { App, HTTPReceiveEvent, HTTPRequestEvent, ReceiveEvent } from '../../src/protocol/types.js';
import { servePagi, waitUntil, withDeadline, type PagiServer } from '../helpers/server.js';
import { RawClient, decodeChunked, parseHead, rawExchange } from '../helpers/raw-socket.js';

let current: PagiServer | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function serve(app: App): Promise<PagiServer> {
  current = await servePagi(app);
  return current;
}

describe('toNodeListener: http responses', () => {
  it('answers a single body with content-length and keeps duplicate headers', async () => {
    const { port } = await serve(async (_scope, _receive, send) => {
      await send({
        type: 'http.response.start',
        status: 201,
        headers: [
          ['content-type', 'text/plain'],
          ['set-cookie', 'a=1'],
          ['set-cookie', 'b=2'],
          ['x-dup', 'one'],
          ['x-dup', 'two'],
        ],
      });
      await send({ type: 'http.response.body', body: 'hello' });
    });
    const text = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const head = parseHead(text);
    expect(head.status).toBe(201);
    expect(head.headers.filter(([n]) => n === 'set-cookie').map(([, v]) => v)).toEqual(['a=1', 'b=2']);
    expect(head.headers.filter(([n]) => n === 'x-dup').map(([, v]) => v)).toEqual(['one', 'two']);
    // The whole body came in one event: framed by its length, as Node frames res.end(body).
    expect(head.headers).toContainEqual(['content-length', '5']);
    expect(head.headers.some(([n]) => n === 'transfer-encoding')).toBe(false);
    expect(head.headers.some(([n]) => n === 'date')).toBe(true);
    expect(head.rest).toBe('hello');
  });

  it("honours an app's connection: close and closes after the response", async () => {
    const { port } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['connection', 'close'], ['content-length', '2']] });
      await send({ type: 'http.response.body', body: 'ok' });
    });
    const text = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const head = parseHead(text);
    expect(head.headers.filter(([n]) => n === 'connection')).toEqual([['connection', 'close']]);
    expect(head.rest).toBe('ok');
  });

  it('streams chunks one by one with chunked framing and a terminating chunk', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { port } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['transfer-encoding', 'gzip'], ['connection', 'x']] });
      await send({ type: 'http.response.body', body: 'first', more: true });
      await gate;
      await send({ type: 'http.response.body', body: Buffer.from('second'), more: true });
      await send({ type: 'http.response.body', body: '', more: false });
    });
    const client = await RawClient.connect(port);
    try {
      await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      // The first chunk reaches the client before the app sends the second.
      await client.waitFor((t) => t.includes('5\r\nfirst\r\n'));
      release();
      const text = await client.waitFor((t) => t.endsWith('0\r\n\r\n'));
      const head = parseHead(text);
      expect(head.headers).toContainEqual(['transfer-encoding', 'chunked']);
      expect(head.headers.some(([n, v]) => n === 'connection' && v === 'x')).toBe(false);
      expect(decodeChunked(head.rest)).toEqual({ body: 'firstsecond', trailers: '', complete: true });
    } finally {
      client.destroy();
    }
  });

  it('passes an app content-length through and keeps the connection alive', async () => {
    const { port } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['content-length', '6']] });
      await send({ type: 'http.response.body', body: 'abc', more: true });
      await send({ type: 'http.response.body', body: 'def' });
    });
    const client = await RawClient.connect(port);
    try {
      await client.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\n');
      await client.waitFor((t) => t.endsWith('abcdef'));
      await client.write('GET /2 HTTP/1.1\r\nHost: x\r\n\r\n');
      const text = await client.waitFor((t) => t.split('abcdef').length === 3);
      expect(text).not.toContain('chunked');
    } finally {
      client.destroy();
    }
  });

  it('answers HEAD without a body and without chunked framing', async () => {
    const { port } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
      await send({ type: 'http.response.body', body: 'hello', more: true });
      await send({ type: 'http.response.body', body: ' world' });
    });
    const client = await RawClient.connect(port);
    try {
      await client.write('HEAD / HTTP/1.1\r\nHost: x\r\n\r\n');
      await client.waitFor((t) => t.includes('\r\n\r\n'));
      // A second request on the same connection proves no body bytes followed.
      await client.write('HEAD / HTTP/1.1\r\nHost: x\r\n\r\n');
      const text = await client.waitFor((t) => t.split('HTTP/1.1 200').length === 3);
      expect(text).not.toContain('hello');
      expect(text).not.toContain('0\r\n\r\n');
    } finally {
      client.destroy();
    }
  });

  it('sends trailers after a chunked body', async () => {
    const { port } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [['trailer', 'x-checksum']], trailers: true });
      await send({ type: 'http.response.body', body: 'data', more: true });
      await send({ type: 'http.response.body', body: 'more' });
      await send({ type: 'http.response.trailers', headers: [['x-checksum', 'abc123']] });
    });
    const client = await RawClient.connect(port);
    try {
      await client.write('GET / HTTP/1.1\r\nHost: x\r\nTE: trailers\r\n\r\n');
      const text = await client.waitFor((t) => t.endsWith('\r\n\r\n') && t.includes('0\r\n'));
      const head = parseHead(text);
      const decoded = decodeChunked(head.rest);
      expect(decoded.body).toBe('datamore');
      expect(decoded.trailers.toLowerCase()).toContain('x-checksum: abc123');
    } finally {
      client.destroy();
    }
  });

  it('works with fetch end to end', async () => {
    const { url } = await serve(async (scope, _receive, send) => {
      if (scope.type !== 'http') throw new Error('unexpected');
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json']] });
      await send({ type: 'http.response.body', body: JSON.stringify({ path: scope.path, q: scope.query_string }) });
    });
    const response = await fetch(`${url}/a%20b/c?x=1&y=%20`);
    expect(await response.json()).toEqual({ path: '/a b/c', q: 'x=1&y=%20' });
  });
});

describe('toNodeListener: receive', () => {
  it('delivers the body in chunks, then an empty more:false, then http.disconnect after the response', async () => {
    const seen: ReceiveEvent[] = [];
    let afterResponse: Promise<ReceiveEvent> | undefined;
    const { url } = await serve(async (_scope, receive, send) => {
      const chunks: Buffer[] = [];
      for (;;) {
        const event = (await receive()) as HTTPReceiveEvent;
        seen.push(event);
        if (event.type !== 'http.request') break;
        chunks.push(Buffer.from(event.body));
        if (!event.more) break;
      }
      // Pending until the response is complete (deviation 4).
      afterResponse = receive();
      let settled = false;
      void afterResponse.then(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(settled).toBe(false);
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: Buffer.concat(chunks) });
    });
    const body = Buffer.alloc(300_000, 'x');
    const response = await fetch(url, { method: 'POST', body });
    expect((await response.arrayBuffer()).byteLength).toBe(300_000);
    const last = seen[seen.length - 1] as HTTPReceiveEvent;
    expect(last).toEqual({ type: 'http.request', body: Buffer.alloc(0), more: false });
    expect(seen.slice(0, -1).every((e) => e.type === 'http.request' && e.more)).toBe(true);
    expect(await withDeadline(afterResponse as Promise<ReceiveEvent>, 2000, 'receive after response')).toEqual({
      type: 'http.disconnect',
    });
  });

  it('keeps delivering the body after a complete response while the app runs', async () => {
    const events: ReceiveEvent[] = [];
    let done = false;
    const { port } = await serve(async (_scope, receive, send) => {
      events.push(await receive());
      await send({ type: 'http.response.start', status: 200, headers: [['content-length', '2']] });
      await send({ type: 'http.response.body', body: 'ok' });
      for (;;) {
        const event = await receive();
        events.push(event);
        if (event.type !== 'http.request' || !event.more) break;
      }
      events.push(await receive());
      done = true;
    });
    const client = await RawClient.connect(port);
    try {
      await client.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n');
      await client.waitFor((t) => t.endsWith('ok'));
      await new Promise((resolve) => setTimeout(resolve, 30));
      await client.write('6\r\nsecond\r\n0\r\n\r\n');
      await waitUntil(() => done);
      const bodies = events.filter((e): e is HTTPRequestEvent => e.type === 'http.request');
      expect(Buffer.concat(bodies.map((e) => Buffer.from(e.body))).toString()).toBe('firstsecond');
      expect(bodies[bodies.length - 1]).toEqual({ type: 'http.request', body: Buffer.alloc(0), more: false });
      expect(events[events.length - 1]).toEqual({ type: 'http.disconnect' });
    } finally {
      client.destroy();
    }
  });

  it('gives a bodiless request exactly one empty more:false event', async () => {
    const events: ReceiveEvent[] = [];
    const { url } = await serve(async (_scope, receive, send) => {
      events.push(await receive());
      await send({ type: 'http.response.start', status: 204 });
      await send({ type: 'http.response.body' });
      events.push(await receive());
      events.push(await receive());
    });
    const response = await fetch(url);
    expect(response.status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual([
      { type: 'http.request', body: Buffer.alloc(0), more: false },
      { type: 'http.disconnect' },
      { type: 'http.disconnect' },
    ]);
  });

  it('serves concurrent receive() calls in call order', async () => {
    const { port } = await serve(async (_scope, receive, send) => {
      const [a, b] = await Promise.all([receive(), receive()]);
      const body = `${Buffer.from((a as HTTPRequestEvent).body).toString()}|${(b as HTTPRequestEvent).more}`;
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body });
    });
    const client = await RawClient.connect(port);
    try {
      await client.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc');
      const text = await client.waitFor((t) => t.endsWith('abc|false'));
      expect(parseHead(text).rest).toBe('abc|false');
    } finally {
      client.destroy();
    }
  });

  it('sends 100 Continue only when the app reads the body', async () => {
    const { port } = await serve(async (scope, receive, send) => {
      if (scope.type === 'http' && scope.path === '/read') {
        const event = (await receive()) as HTTPRequestEvent;
        await send({ type: 'http.response.start', status: 200 });
        await send({ type: 'http.response.body', body: event.body });
      } else {
        await send({ type: 'http.response.start', status: 401, headers: [['content-length', '0']] });
        await send({ type: 'http.response.body' });
      }
    });
    const reader = await RawClient.connect(port);
    const refuser = await RawClient.connect(port);
    try {
      await reader.write('POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
      await reader.waitFor((t) => t.startsWith('HTTP/1.1 100 Continue\r\n\r\n'));
      await reader.write('ping');
      await reader.waitFor((t) => t.includes('ping'));

      await refuser.write('POST /no HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
      const text = await refuser.waitFor((t) => t.includes('\r\n\r\n'));
      expect(text.startsWith('HTTP/1.1 401')).toBe(true);
      expect(text).not.toContain('100 Continue');
    } finally {
      reader.destroy();
      refuser.destroy();
    }
  });
});
