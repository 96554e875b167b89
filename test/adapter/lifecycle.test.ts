/**
 * Connection-state ordering, queued sends, HTTP/1.0 framing, shutdown and
 * the access-log hook.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AdapterOptions, ResponseEndInfo } from '../../src/adapter/index.js';
import type { App, ReceiveEvent } from '../../src/protocol/types.js';
import { servePagi, waitUntil, withDeadline, type PagiServer } from '../helpers/server.js';
import { RawClient, decodeChunked, parseHead, rawExchange } from '../helpers/raw-socket.js';
import { connectionOf } from '../helpers/scope.js';

let current: PagiServer | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function serve(app: App, options?: AdapterOptions): Promise<PagiServer> {
  current = await servePagi(app, options);
  return current;
}

describe('pagi.connection from the adapter (§7)', () => {
  it('runs on_disconnect callbacks before the pending receive resumes (§7.4)', async () => {
    const order: string[] = [];
    const { port } = await serve(async (scope, receive) => {
      const connection = connectionOf(scope);
      connection.on_disconnect((reason) => order.push(`callback:${reason}`));
      connection.on_end((reason) => order.push(`end:${reason}`));
      void connection.end_future().then((reason) => order.push(`future:${reason}`));
      await receive();
      const event: ReceiveEvent = await receive();
      order.push(`receive:${event.type}:${connection.is_connected()}`);
    });
    const client = await RawClient.connect(port);
    await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 30));
    client.destroy();
    await waitUntil(() => order.some((o) => o.startsWith('receive')));
    expect(order.indexOf('callback:client_closed')).toBeLessThan(order.indexOf('receive:http.disconnect:false'));
    expect(order).toContain('end:client_closed');
    expect(order).toContain('future:client_closed');
  });

  it('reports a clean end: response_complete, on_complete, no disconnect reason', async () => {
    const facts: unknown[] = [];
    const { url } = await serve(async (scope, _receive, send) => {
      const connection = connectionOf(scope);
      connection.on_complete(() => facts.push('complete'));
      connection.on_disconnect(() => facts.push('disconnect'));
      facts.push(connection.response_started());
      await send({ type: 'http.response.start', status: 200 });
      facts.push(connection.response_started());
      await send({ type: 'http.response.body', body: 'x' });
      facts.push(connection.response_complete(), connection.is_connected(), connection.disconnect_reason());
    });
    await (await fetch(url)).text();
    await waitUntil(() => facts.length === 6);
    // on_complete is queued, so it may run before the app resumes from its last send.
    expect(facts.filter((f) => f !== 'complete')).toEqual([false, true, true, false, undefined]);
    expect(facts.filter((f) => f === 'complete')).toHaveLength(1);
  });

  it('queues overlapping sends in call order', async () => {
    const { port } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'http.response.start', status: 200 });
      const big = Buffer.alloc(4 * 1024 * 1024, 'a');
      // Not awaited one by one: the big write waits for drain, the rest must queue behind it.
      await Promise.all([
        send({ type: 'http.response.body', body: big, more: true }),
        send({ type: 'http.response.body', body: 'B', more: true }),
        send({ type: 'http.response.body', body: 'C' }),
      ]);
    });
    const client = await RawClient.connect(port);
    try {
      await client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      const text = await client.waitFor((t) => t.endsWith('0\r\n\r\n'), 10_000);
      const body = decodeChunked(parseHead(text).rest).body;
      expect(body.length).toBe(4 * 1024 * 1024 + 2);
      expect(body.endsWith('aBC')).toBe(true);
    } finally {
      client.destroy();
    }
  });
});

describe('HTTP/1.0 and pipelining', () => {
  it('answers HTTP/1.0 without chunked framing and closes the connection', async () => {
    const { port } = await serve(async (scope, _receive, send) => {
      expect(connectionOf(scope) !== undefined && scope.type === 'http' && scope.http_version).toBe('1.0');
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'old', more: true });
      await send({ type: 'http.response.body', body: 'school' });
    });
    const text = await rawExchange(port, 'GET / HTTP/1.0\r\n\r\n');
    const head = parseHead(text);
    expect(head.headers.some(([n]) => n === 'transfer-encoding')).toBe(false);
    expect(head.rest).toBe('oldschool');
  });

  it('answers pipelined requests in order', async () => {
    const { port } = await serve(async (scope, _receive, send) => {
      const path = scope.type === 'http' ? scope.path : '';
      if (path === '/slow') await new Promise((resolve) => setTimeout(resolve, 30));
      await send({ type: 'http.response.start', status: 200, headers: [['content-length', String(path.length)]] });
      await send({ type: 'http.response.body', body: path });
    });
    const client = await RawClient.connect(port);
    try {
      await client.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n');
      const text = await client.waitFor((t) => t.includes('/fast'));
      expect(text.indexOf('/slow')).toBeLessThan(text.indexOf('/fast'));
    } finally {
      client.destroy();
    }
  });
});

describe('shutdown and access logs', () => {
  it('shutdown() ends live SSE streams with server_shutdown and lets HTTP responses finish', async () => {
    let httpRelease!: () => void;
    const httpGate = new Promise<void>((resolve) => (httpRelease = resolve));
    let sseEvent: ReceiveEvent | undefined;
    const { port, listener } = await serve(async (scope, receive, send) => {
      if (scope.type === 'sse') {
        await send({ type: 'sse.start' });
        await receive();
        sseEvent = await receive();
        return;
      }
      await send({ type: 'http.response.start', status: 200, headers: [['content-length', '4']] });
      await httpGate;
      await send({ type: 'http.response.body', body: 'done' });
    });
    const sse = await RawClient.connect(port);
    const plain = await RawClient.connect(port);
    try {
      await sse.write('GET / HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
      await sse.waitFor((t) => t.includes('\r\n\r\n'));
      await plain.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitUntil(() => listener.activeCount === 2);
      listener.shutdown();
      await sse.waitFor((t) => t.endsWith('0\r\n\r\n'));
      await waitUntil(() => sseEvent !== undefined);
      expect(sseEvent).toEqual({ type: 'sse.disconnect', reason: 'server_shutdown' });
      httpRelease();
      const text = await plain.waitFor((t) => t.endsWith('done'));
      expect(parseHead(text).headers).toContainEqual(['connection', 'close']);
      await withDeadline(listener.idle(), 5000, 'idle');
      expect(listener.activeCount).toBe(0);
    } finally {
      sse.destroy();
      plain.destroy();
    }
  });

  it('reports each finished request once to onResponseEnd', async () => {
    const reports: ResponseEndInfo[] = [];
    const { url, port } = await serve(
      async (scope, _receive, send) => {
        if (scope.type === 'http' && scope.path === '/fail') throw new Error('x');
        await send({ type: 'http.response.start', status: 201 });
        await send({ type: 'http.response.body', body: 'hello' });
      },
      { onResponseEnd: (info) => reports.push(info), logger: { error: () => {} } },
    );
    await (await fetch(url)).text();
    await rawExchange(port, 'GET /fail HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitUntil(() => reports.length === 2);
    expect(reports.map((r) => [r.status, r.bodyBytes, r.reason, r.scope.raw_path])).toEqual([
      [201, 5, undefined, '/'],
      [500, 21, 'server_error', '/fail'],
    ]);
  });
});
