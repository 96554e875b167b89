import { once } from 'node:events';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { App, ReceiveEvent } from '../../src/protocol/types.js';
import { connect, deferred, readAll, waitFor, within } from './helpers.js';
import { startTestServer, type TestServer, type TestServerOptions } from './test-server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(app: App, options: TestServerOptions = {}): Promise<TestServer> {
  server = await startTestServer(app, options);
  return server;
}

describe('graceful shutdown (handle.close())', () => {
  it('lets in-flight requests finish, refuses new connections, then runs lifespan shutdown', async () => {
    const events: string[] = [];
    let started = 0;
    const s = await start(async (scope, receive, send) => {
      if (scope.type === 'lifespan') {
        await receive();
        await send({ type: 'lifespan.startup.complete' });
        await receive();
        events.push('lifespan.shutdown');
        await send({ type: 'lifespan.shutdown.complete' });
        return;
      }
      started++;
      await new Promise((r) => setTimeout(r, 300));
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'done' });
      events.push('response');
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
    const get = () =>
      new Promise<string>((resolve, reject) => {
        http
          .get(s.url, { agent }, (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (d: string) => (body += d));
            res.on('end', () => resolve(`${res.statusCode} ${body} ${res.headers.connection}`));
          })
          .on('error', reject);
      });
    const responses = Array.from({ length: 20 }, get);
    await waitFor(() => started === 20, 5000, 'all requests in the app');
    const closing = s.close();
    server = undefined;
    const results = await within(Promise.all(responses), 10_000, 'responses');
    expect(new Set(results)).toEqual(new Set(['200 done close']));
    await within(closing, 10_000, 'close');
    expect(events.at(-1)).toBe('lifespan.shutdown');
    expect(events.filter((e) => e === 'response')).toHaveLength(20);
    await expect(fetch(s.url)).rejects.toThrow();
    agent.destroy();
  });

  it('ends SSE streams with sse.disconnect server_shutdown and a clean end of stream', async () => {
    const disconnect = deferred<ReceiveEvent>();
    const s = await start(async (scope, receive, send) => {
      if (scope.type !== 'sse') return;
      await receive();
      await send({ type: 'sse.start' });
      await send({ type: 'sse.send', data: 'hello' });
      disconnect.resolve(await receive());
    });
    const res = await fetch(s.url, { headers: { accept: 'text/event-stream' } });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value as Uint8Array).toString()).toBe('data: hello\n\n');
    const closing = s.close();
    server = undefined;
    expect(await within(disconnect.promise, 5000, 'sse.disconnect')).toEqual({ type: 'sse.disconnect', reason: 'server_shutdown' });
    // The stream ends with its terminator: a clean `done`, not an error.
    expect((await within(reader.read(), 5000, 'end of stream')).done).toBe(true);
    await within(closing, 5000, 'close');
  });

  it('closes WebSockets with 1001', async () => {
    const disconnect = deferred<ReceiveEvent>();
    const s = await start(async (scope, receive, send) => {
      if (scope.type !== 'websocket') return;
      await receive();
      await send({ type: 'websocket.accept' });
      disconnect.resolve(await receive());
    });
    const ws = new WebSocket(s.wsUrl);
    ws.on('error', () => {});
    await within(once(ws, 'open'), 5000, 'open');
    const closed = within(once(ws, 'close'), 5000, 'close') as Promise<[number, Buffer]>;
    const closing = s.close();
    server = undefined;
    const [code] = await closed;
    expect(code).toBe(1001);
    expect(await disconnect.promise).toEqual({ type: 'websocket.disconnect', code: 1006, reason: 'server_shutdown' });
    await within(closing, 5000, 'server close');
  });

  it('cuts requests still running after the grace period', async () => {
    const lines: string[] = [];
    const s = await start(
      async (scope) => {
        if (scope.type === 'http') await new Promise(() => {});
      },
      { gracefulTimeout: 0.2, logSink: lines },
    );
    const socket = await connect(s.port);
    const all = readAll(socket, 5000);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 50));
    await within(s.close(), 5000, 'close');
    server = undefined;
    expect((await all).length).toBe(0);
    expect(lines).toContainEqual(expect.stringMatching(/grace period of 0.2s over; cutting 1 request/));
  });

  it('closes idle keep-alive connections at once', async () => {
    const s = await start(async (scope, _receive, send) => {
      if (scope.type !== 'http') return;
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: 'ok' });
    });
    const socket = await connect(s.port);
    const all = readAll(socket, 5000);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => socket.bytesRead > 0, 5000, 'response');
    await within(s.close(), 2000, 'close');
    server = undefined;
    expect((await all).toString()).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('does not wait for a client that never finishes its request head', async () => {
    const s = await start(async (scope, _receive, send) => {
      if (scope.type !== 'http') return;
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body' });
    });
    const socket = await connect(s.port);
    const all = readAll(socket, 5000);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    await new Promise((r) => setTimeout(r, 50));
    // The grace period is 30 s; a close that waited for this client would miss the deadline.
    await within(s.close(), 5000, 'close');
    server = undefined;
    await all;
  });
});
