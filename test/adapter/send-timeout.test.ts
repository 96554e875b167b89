/**
 * `sendTimeout` for `http` and `sse` scopes (off by default): a client that
 * never reads a large response cannot hold the app forever. When one send
 * has waited longer than the limit, the scope ends with `write_timeout`, the
 * connection is destroyed and the pending send rejects with `Disconnected`;
 * on serve(), toNodeListener and toExpress. Real clients that stop reading.
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import express from 'express';
import { toExpress, toNodeListener } from '../../src/adapter/index.js';
import { Disconnected } from '../../src/protocol/errors.js';
import type { App } from '../../src/protocol/types.js';
import { serve } from '../../src/server/serve.js';
import { createLogger } from '../../src/server/logger.js';
import { closeServer, listen, waitUntil, withDeadline } from '../helpers/server.js';
import { connectionOf } from '../helpers/scope.js';

const CHUNK = Buffer.alloc(256 * 1024, 0x61);

interface Seen {
  error?: unknown;
  reason?: string | undefined;
  sent: number;
}

/** Streams 256 KiB chunks until a send fails; records the failure and the scope's reason. */
function firehose(seen: Seen): App {
  return async (scope, _receive, send) => {
    if (scope.type === 'lifespan') throw new Error('no lifespan');
    const connection = connectionOf(scope);
    try {
      if (scope.type === 'sse') {
        await send({ type: 'sse.start' });
        for (;;) {
          await send({ type: 'sse.send', data: CHUNK.toString('latin1') });
          seen.sent++;
        }
      }
      await send({ type: 'http.response.start', status: 200 });
      for (;;) {
        await send({ type: 'http.response.body', body: CHUNK, more: true });
        seen.sent++;
      }
    } catch (error) {
      seen.error = error;
      seen.reason = connection.disconnect_reason();
      throw error;
    }
  };
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  // Clients first: a server's graceful close would wait for their responses.
  for (const close of closers.splice(0).reverse()) await close();
});

type Host = (app: App, sendTimeout?: number) => Promise<number>;
const hosts: Record<string, Host> = {
  'serve()': async (app, sendTimeout) => {
    const handle = await serve(app, { port: 0, logger: createLogger('silent'), ...(sendTimeout === undefined ? {} : { sendTimeout }) });
    closers.push(() => handle.close());
    return handle.address.port;
  },
  toNodeListener: async (app, sendTimeout) => {
    const server = http.createServer(toNodeListener(app, sendTimeout === undefined ? {} : { sendTimeout }));
    closers.push(() => closeServer(server));
    return (await listen(server)).port;
  },
  toExpress: async (app, sendTimeout) => {
    const server = http.createServer(express().use(toExpress(app, sendTimeout === undefined ? {} : { sendTimeout })));
    closers.push(() => closeServer(server));
    return (await listen(server)).port;
  },
};

/**
 * A client that sends its request and never reads. `closed()` resumes it
 * (a paused socket never sees the end) and resolves once the connection is gone.
 */
async function nonReader(port: number, accept?: string): Promise<{ socket: net.Socket; closed: () => Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1');
  await withDeadline(new Promise((resolve) => socket.once('connect', resolve)), 5000, 'connect');
  socket.pause();
  socket.on('error', () => {});
  const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const closed = () => {
    socket.resume();
    return gone;
  };
  socket.write(`GET / HTTP/1.1\r\nHost: x\r\n${accept ? `Accept: ${accept}\r\n` : ''}\r\n`);
  closers.push(async () => void socket.destroy());
  return { socket, closed };
}

describe.each(Object.keys(hosts))('sendTimeout on %s', (hostName) => {
  const host = hosts[hostName] as Host;

  it.each([['http', undefined], ['sse', 'text/event-stream']])('%s: a client that never reads: write_timeout, Disconnected, connection destroyed', async (_type, accept) => {
    const seen: Seen = { sent: 0 };
    const port = await host(firehose(seen), 0.3);
    const { closed } = await nonReader(port, accept);
    await waitUntil(() => seen.error !== undefined, 5000, 'the send to fail');
    expect(seen.error).toBeInstanceOf(Disconnected);
    expect((seen.error as Disconnected).reason).toBe('write_timeout');
    expect(seen.reason).toBe('write_timeout');
    expect(seen.sent).toBeGreaterThan(0);
    // The server destroyed the connection: the client sees it close without reading.
    await withDeadline(closed(), 5000, 'the connection to close');
  });

  it('off by default: the send just waits', async () => {
    const seen: Seen = { sent: 0 };
    const port = await host(firehose(seen));
    await nonReader(port);
    await waitUntil(() => seen.sent > 0, 5000, 'the first sends');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(seen.error).toBeUndefined();
  });
});

describe('sendTimeout on an SSE stream that only sends keepalives', () => {
  it('a dead reader ends the stream with write_timeout; the unawaited keepalive write is no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let reason: string | undefined;
      const app: App = async (scope, receive, send) => {
        if (scope.type !== 'sse') throw new Error('sse only');
        await send({ type: 'sse.start' });
        // Only the server's keepalive timer writes (64 KiB every 10 ms) until the buffers are full.
        await send({ type: 'sse.keepalive', interval: 0.01, comment: 'x'.repeat(64 * 1024) });
        while ((await receive()).type !== 'sse.disconnect');
        reason = connectionOf(scope).disconnect_reason();
      };
      const server = http.createServer(toNodeListener(app, { sendTimeout: 0.3 }));
      closers.push(() => closeServer(server));
      const { closed } = await nonReader((await listen(server)).port, 'text/event-stream');
      await waitUntil(() => reason !== undefined, 10_000, 'the app to see the end');
      await withDeadline(closed(), 5000, 'the connection to close');
      expect(reason).toBe('write_timeout');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
