/**
 * SSE and WebSocket routes of router() on a real serve() with real clients
 * (eventsource, ws): events stream one by one, Last-Event-ID comes back, a
 * refusal is an ordinary response, the socket echoes and the router closes
 * what the handler left open; a client that leaves ends the handler quietly.
 */
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { serve, type ServerHandle } from '../../src/server/index.js';
import { HttpError, router, sendText } from '../../src/toolkit/index.js';
import { withDeadline } from '../helpers/server.js';

const ended: string[] = [];

const app = router()
  .sse('/ticks', async ({ sse }) => {
    const start = Number(sse.lastEventId ?? 0);
    for (let n = start + 1; n <= start + 3; n++) await sse.send({ event: 'tick', id: String(n), data: `tick ${n}` });
  })
  .sse('/forever', async ({ sse }) => {
    await sse.send({ data: 'hello' });
    ended.push(`forever:${await sse.ended()}`);
  })
  .sse('/secret', () => {
    throw new HttpError(401, 'who are you?', { headers: [['www-authenticate', 'Bearer']] });
  })
  .get('/plain', ({ send }) => sendText(send, 200, 'plain'))
  .websocket('/echo', async ({ socket }) => {
    for await (const message of socket) await socket.send(message);
    ended.push(`echo:${socket.disconnect?.code}`);
  })
  .websocket('/greet', async ({ socket, scope }) => {
    await socket.accept({ subprotocol: scope.subprotocols[0] ?? 'none' });
    await socket.send('hello');
  });

let server: ServerHandle;
beforeAll(async () => {
  server = await serve(app, { host: '127.0.0.1', port: 0, logLevel: 'error' });
});
afterAll(async () => {
  await server.close();
});

function open(path: string, protocols?: string[]): Promise<WebSocket> {
  return withDeadline(
    new Promise((resolve, reject) => {
      const socket = new WebSocket(`${server.url.replace('http', 'ws')}${path}`, protocols);
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    }),
    5000,
    `open ${path}`,
  );
}

function next(socket: WebSocket): Promise<string> {
  return withDeadline(new Promise((resolve) => socket.once('message', (data) => resolve(String(data)))), 5000, 'next message');
}

describe('sse() routes on serve()', () => {
  it('streams events to an EventSource, which reconnects with Last-Event-ID after the close', async () => {
    const source = new EventSource(`${server.url}/ticks`);
    const seen: string[] = [];
    try {
      await withDeadline(
        new Promise<void>((resolve) => {
          source.addEventListener('tick', (event) => {
            seen.push(`${event.lastEventId}:${event.data}`);
            if (seen.length === 6) resolve();
          });
        }),
        10_000,
        'six ticks over two connections',
      );
    } finally {
      source.close();
    }
    expect(seen).toEqual(['1:tick 1', '2:tick 2', '3:tick 3', '4:tick 4', '5:tick 5', '6:tick 6']);
  });

  it('refuses with an ordinary response, and answers plain requests on HTTP routes', async () => {
    const refused = await fetch(`${server.url}/secret`, { headers: { accept: 'text/event-stream' } });
    expect([refused.status, refused.headers.get('www-authenticate'), await refused.text()]).toEqual([401, 'Bearer', 'who are you?']);
    const plain = await fetch(`${server.url}/plain`, { headers: { accept: 'text/html, text/event-stream' } });
    expect(await plain.text()).toBe('plain');
  });

  it('lets a stream run until the client leaves', async () => {
    const controller = new AbortController();
    const res = await fetch(`${server.url}/forever`, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('data: hello');
    controller.abort();
    await withDeadline(
      (async () => {
        while (!ended.some((e) => e.startsWith('forever:'))) await new Promise((resolve) => setTimeout(resolve, 10));
      })(),
      5000,
      'the handler to see the disconnect',
    );
    expect(ended).toContain('forever:client_closed');
  });
});

describe('websocket() routes on serve()', () => {
  it('echoes text and binary messages until the client closes', async () => {
    const socket = await open('/echo');
    socket.send('text ✓');
    expect(await next(socket)).toBe('text ✓');
    const binary = withDeadline(new Promise<[Buffer, boolean]>((resolve) => socket.once('message', (d, isBinary) => resolve([d as Buffer, isBinary]))), 5000, 'binary');
    socket.send(Buffer.from([0, 1, 2]));
    expect(await binary).toEqual([Buffer.from([0, 1, 2]), true]);
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.close(1000);
    expect(await withDeadline(closed, 5000, 'close')).toBe(1000);
    await withDeadline(
      (async () => {
        while (!ended.includes('echo:1000')) await new Promise((resolve) => setTimeout(resolve, 10));
      })(),
      5000,
      'the echo handler to end',
    );
  });

  it('accepts with a subprotocol and closes (1000) when the handler returns', async () => {
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/greet`, ['chat.v1']);
    // The greeting may arrive in the same read as the handshake: listen before 'open'.
    const greeting = next(socket);
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    expect(await greeting).toBe('hello');
    expect(socket.protocol).toBe('chat.v1');
    expect(await withDeadline(closed, 5000, 'server close')).toBe(1000);
  });

  it('refuses an unknown WebSocket path with 404', async () => {
    const error = await open('/nowhere').catch((e: Error) => e);
    expect(String(error)).toMatch(/404/);
  });
});
