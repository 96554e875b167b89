import { afterEach, describe, expect, it } from 'vitest';
import { EventSource } from 'eventsource';
import { Disconnected } from '../../src/protocol/errors.js';
import type { App, ReceiveEvent, SSERequestEvent } from '../../src/protocol/types.js';
import { servePagi, waitUntil, withDeadline, type PagiServer } from '../helpers/server.js';
import { RawClient, decodeChunked, parseHead } from '../helpers/raw-socket.js';
import { connectionOf } from '../helpers/scope.js';

let current: PagiServer | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function serve(app: App): Promise<PagiServer> {
  current = await servePagi(app);
  return current;
}

const SSE_GET = 'GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n';

describe('SSE scopes', () => {
  it('writes the exact wire format and ends with the chunk terminator on sse.close', async () => {
    const { port } = await serve(async (scope, _receive, send) => {
      expect(scope.type).toBe('sse');
      await send({ type: 'sse.start' });
      await send({ type: 'sse.send', data: 'one\r\ntwo\rthree\nfour', event: 'update', id: '7', retry: 1500 });
      await send({ type: 'sse.send', data: '' });
      await send({ type: 'sse.comment', comment: 'hello\n:already' });
      await send({ type: 'sse.close' });
    });
    const client = await RawClient.connect(port);
    try {
      await client.write(SSE_GET);
      const text = await client.waitFor((t) => t.endsWith('0\r\n\r\n'));
      const head = parseHead(text);
      expect(head.status).toBe(200);
      expect(head.headers).toContainEqual(['content-type', 'text/event-stream']);
      expect(head.headers).toContainEqual(['cache-control', 'no-cache']);
      expect(head.headers).toContainEqual(['transfer-encoding', 'chunked']);
      expect(head.headers.some(([n]) => n === 'date')).toBe(true);
      const body = decodeChunked(head.rest);
      expect(body.complete).toBe(true);
      expect(body.body).toBe(
        'event: update\ndata: one\ndata: two\ndata: three\ndata: four\nid: 7\nretry: 1500\n\n' +
          'data: \n\n' +
          ':hello\n:already\n\n',
      );
    } finally {
      client.destroy();
    }
  });

  it('keeps app headers and status on sse.start', async () => {
    const { port } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'sse.start', status: 201, headers: [['content-type', 'text/event-stream; charset=utf-8'], ['x-a', '1']] });
      await send({ type: 'sse.close' });
    });
    const client = await RawClient.connect(port);
    try {
      await client.write(SSE_GET);
      const head = parseHead(await client.waitFor((t) => t.endsWith('0\r\n\r\n')));
      expect(head.status).toBe(201);
      expect(head.headers.filter(([n]) => n === 'content-type')).toEqual([['content-type', 'text/event-stream; charset=utf-8']]);
      expect(head.headers).toContainEqual(['x-a', '1']);
    } finally {
      client.destroy();
    }
  });

  it('is received by an EventSource client (headers flushed at sse.start)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { url } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'sse.start' });
      await gate; // the client sees "open" before any event was sent
      await send({ type: 'sse.send', data: 'line1\nline2', event: 'greet', id: 'a1' });
      await send({ type: 'sse.send', data: 'plain' });
      await send({ type: 'sse.close' });
    });
    const source = new EventSource(`${url}/stream`);
    try {
      await withDeadline(new Promise((resolve) => source.addEventListener('open', resolve, { once: true })), 5000, 'open');
      const greet = new Promise<MessageEvent>((resolve) => source.addEventListener('greet', resolve as never, { once: true }));
      const plain = new Promise<MessageEvent>((resolve) => source.addEventListener('message', resolve as never, { once: true }));
      release();
      const g = await withDeadline(greet, 5000, 'greet');
      expect(g.data).toBe('line1\nline2');
      expect(g.lastEventId).toBe('a1');
      expect((await withDeadline(plain, 5000, 'message')).data).toBe('plain');
    } finally {
      source.close();
    }
  });

  it('sends keepalive comments on a timer and stops them at sse.close', async () => {
    let close!: () => void;
    const closing = new Promise<void>((resolve) => (close = resolve));
    const { port } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'sse.start' });
      await send({ type: 'sse.keepalive', interval: 0.03, comment: 'ping' });
      await closing;
      await send({ type: 'sse.close' });
    });
    const client = await RawClient.connect(port);
    try {
      await client.write(SSE_GET);
      await client.waitFor((t) => t.split(':ping\n\n').length >= 3, 5000, 'two keepalives');
      close();
      const text = await client.waitFor((t) => t.endsWith('0\r\n\r\n'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(client.text).toBe(text); // nothing after the terminator
    } finally {
      client.destroy();
    }
  });

  it('keepalive interval 0 stops the timer', async () => {
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const { port } = await serve(async (_scope, _receive, send) => {
      await send({ type: 'sse.start' });
      await send({ type: 'sse.keepalive', interval: 0.02 });
      await stopped;
      await send({ type: 'sse.keepalive', interval: 0 });
      await new Promise((resolve) => setTimeout(resolve, 150));
      await send({ type: 'sse.close' });
    });
    const client = await RawClient.connect(port);
    try {
      await client.write(SSE_GET);
      await client.waitFor((t) => t.includes(':\n\n'));
      stop();
      await new Promise((resolve) => setTimeout(resolve, 40));
      const before = client.text.split(':\n\n').length;
      const text = await client.waitFor((t) => t.endsWith('0\r\n\r\n'));
      // At most one tick may have been in flight when the stop was sent.
      expect(text.split(':\n\n').length - before).toBeLessThanOrEqual(1);
    } finally {
      client.destroy();
    }
  });

  it('declines with an ordinary streamed HTTP response and keeps the connection alive', async () => {
    const { port } = await serve(async (scope, _receive, send) => {
      expect(scope.type).toBe('sse');
      await send({ type: 'http.response.start', status: 404, headers: [['content-type', 'text/plain']] });
      await send({ type: 'http.response.body', body: 'no ', more: true });
      await send({ type: 'http.response.body', body: 'stream' });
    });
    const client = await RawClient.connect(port);
    try {
      await client.write(SSE_GET);
      await client.waitFor((t) => t.endsWith('0\r\n\r\n'));
      await client.write(SSE_GET);
      const text = await client.waitFor((t) => t.split('0\r\n\r\n').length === 3);
      const head = parseHead(text);
      expect(head.status).toBe(404);
      expect(head.headers).toContainEqual(['transfer-encoding', 'chunked']);
      expect(decodeChunked(head.rest).body).toBe('no stream');
    } finally {
      client.destroy();
    }
  });

  it('delivers sse.request body events for a POST, then sse.disconnect without reason after sse.close', async () => {
    const events: ReceiveEvent[] = [];
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const { url } = await serve(async (_scope, receive, send) => {
      let body = '';
      for (;;) {
        const event = (await receive()) as SSERequestEvent;
        events.push(event);
        body += Buffer.from(event.body).toString();
        if (!event.more) break;
      }
      await send({ type: 'sse.start' });
      await send({ type: 'sse.send', data: body });
      await send({ type: 'sse.close' });
      events.push(await receive());
      done();
    });
    const response = await fetch(url, { method: 'POST', headers: { accept: 'text/event-stream' }, body: 'question' });
    expect(await response.text()).toBe('data: question\n\n');
    await withDeadline(finished, 5000, 'app end');
    expect(events[events.length - 2]).toEqual({ type: 'sse.request', body: Buffer.alloc(0), more: false });
    expect(events[events.length - 1]).toEqual({ type: 'sse.disconnect' });
  });

  it('reports the client leaving: sse.disconnect with a reason, sends reject with Disconnected', async () => {
    let sendError: unknown;
    let disconnect: ReceiveEvent | undefined;
    let reason: string | undefined;
    const { port } = await serve(async (scope, receive, send) => {
      await send({ type: 'sse.start' });
      await send({ type: 'sse.send', data: 'hi' });
      const [event] = await Promise.all([
        (async () => {
          await receive(); // the empty body
          return receive();
        })(),
      ]);
      disconnect = event;
      reason = connectionOf(scope).disconnect_reason();
      try {
        await send({ type: 'sse.send', data: 'late' });
      } catch (error) {
        sendError = error;
      }
    });
    const client = await RawClient.connect(port);
    await client.write(SSE_GET);
    await client.waitFor((t) => t.includes('data: hi'));
    client.destroy();
    await waitUntil(() => sendError !== undefined, 5000, 'send rejection');
    expect(disconnect).toEqual({ type: 'sse.disconnect', reason: 'client_closed' });
    expect(reason).toBe('client_closed');
    expect(sendError).toBeInstanceOf(Disconnected);
    expect((sendError as Disconnected).reason).toBe('client_closed');
  });

  it('treats a return after sse.start without sse.close as incomplete: no terminator, server_error', async () => {
    const errors: string[] = [];
    const reasons: string[] = [];
    current = await servePagi(
      async (scope, _receive, send) => {
        connectionOf(scope).on_disconnect((r) => reasons.push(r));
        await send({ type: 'sse.start' });
        await send({ type: 'sse.send', data: 'x' });
      },
      { logger: { error: (message) => errors.push(message) } },
    );
    const client = await RawClient.connect(current.port);
    try {
      await client.write(SSE_GET);
      const text = await client.waitClosed();
      expect(text).toContain('data: x');
      expect(decodeChunked(parseHead(text).rest).complete).toBe(false);
      await waitUntil(() => reasons.length > 0);
      expect(reasons).toEqual(['server_error']);
      expect(errors).toHaveLength(1);
    } finally {
      client.destroy();
    }
  });
});
