/**
 * `serve()` shares its Node server with other 'upgrade' listeners (issue 10
 * §3): socket.io attached to `handle.server` answers its own handshakes and
 * pagi never writes into those sockets. Also: RFC 6455's HTTP/1.1 minimum
 * (issue 10 §4) and WebSocket sends nobody awaited (PROTOCOL.md §1 deviation 9).
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Server as SocketIoServer } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import WebSocket from 'ws';
import type { App, Scope } from '../../src/protocol/types.js';
import { connect, deferred, readAll, waitFor, within } from '../server/helpers.js';
import { startTestServer, type TestServer } from '../server/test-server.js';

let server: TestServer | undefined;
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.close();
  server = undefined;
});

/** Refuses every WebSocket with a close before accept (403), records the paths it saw. */
function refuser(seen: string[]): App {
  return async (scope, receive, send) => {
    if (scope.type !== 'websocket') throw new Error('websocket only');
    seen.push(scope.path);
    await receive();
    await send({ type: 'websocket.close' });
  };
}

function nodeServer(test: TestServer): NonNullable<TestServer['handle']['server']> {
  const node = test.handle.server;
  if (!node) throw new Error('serve() returned no Node server');
  return node;
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

function handshake(target: string, version = '1.1'): string {
  return (
    `GET ${target} HTTP/${version}\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${KEY}\r\n\r\n`
  );
}

describe('serve() next to other upgrade listeners', () => {
  it('never writes into a socket socket.io answered (raw bytes after the 101)', async () => {
    const seen: string[] = [];
    server = await startTestServer(refuser(seen));
    const io = new SocketIoServer(nodeServer(server));
    cleanups.push(() => io.close());

    const socket = await connect(server.port);
    cleanups.push(() => socket.destroy());
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.write(handshake('/socket.io/?EIO=4&transport=websocket'));
    // engine.io's open packet ("0{...sid...}") arrives as a text frame right after the 101.
    await waitFor(() => Buffer.concat(chunks).includes('"sid"'), 5000, 'engine.io open packet');
    // Give a stray pagi answer every chance to show up.
    await new Promise((r) => setTimeout(r, 300));
    const text = Buffer.concat(chunks).toString('latin1');
    expect(text.startsWith('HTTP/1.1 101 Switching Protocols\r\n')).toBe(true);
    expect(text.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(text).not.toContain('403');
    expect(seen).toEqual([]);
  });

  it('socket.io-client talks to socket.io over the websocket transport; other paths still reach the app', async () => {
    const seen: string[] = [];
    server = await startTestServer(refuser(seen));
    const io = new SocketIoServer(nodeServer(server));
    cleanups.push(() => io.close());
    io.on('connection', (s) => s.on('echo', (value: unknown, ack: (v: unknown) => void) => ack(value)));

    const client = ioClient(server.url, { transports: ['websocket'], reconnection: false, timeout: 5000 });
    cleanups.push(() => client.close());
    await within(new Promise<void>((resolve) => client.once('connect', resolve)), 5000, 'socket.io connect');
    const answer = await within(client.timeout(5000).emitWithAck('echo', { n: 1 }), 5000, 'ack');
    expect(answer).toEqual({ n: 1 });
    expect(seen).toEqual([]);

    // A path socket.io does not own is still the app's: its 403 reaches the client.
    const ws = new WebSocket(`${server.wsUrl}/mine`);
    ws.on('error', () => {});
    cleanups.push(() => ws.terminate());
    const [, res] = (await within(once(ws, 'unexpected-response'), 5000, 'refusal')) as [unknown, { statusCode: number }];
    expect(res.statusCode).toBe(403);
    expect(seen).toEqual(['/mine']);
  });
});

describe('handshake requirements', () => {
  it('refuses a WebSocket handshake over HTTP/1.0 with 400 without calling the app', async () => {
    const seen: string[] = [];
    server = await startTestServer(refuser(seen));
    const socket = await connect(server.port);
    cleanups.push(() => socket.destroy());
    const all = readAll(socket);
    socket.write(handshake('/chat', '1.0'));
    const text = (await all).toString('latin1');
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).toContain('WebSocket handshakes require HTTP/1.1');
    expect(seen).toEqual([]);
  });
});

describe('websocket sends nobody awaited', () => {
  it('a late send after the client left is logged once and never becomes an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    cleanups.push(() => process.off('unhandledRejection', onUnhandled));

    const logSink: string[] = [];
    const done = deferred();
    const app: App = async (scope: Scope, receive, send) => {
      if (scope.type !== 'websocket') return;
      await receive();
      await send({ type: 'websocket.accept' });
      await receive(); // websocket.disconnect
      // Forgotten awaits: one plain send, one queued behind it.
      void send({ type: 'websocket.send', text: 'late' });
      void send({ type: 'websocket.send', text: 'later' });
      setTimeout(done.resolve, 50);
    };
    server = await startTestServer(app, { logSink });
    const ws = new WebSocket(`${server.wsUrl}/late`);
    ws.on('error', () => {});
    await within(once(ws, 'open'), 5000, 'open');
    ws.close(1000);
    await within(done.promise, 5000, 'late sends');
    await waitFor(() => logSink.some((l) => l.includes('nothing awaited it')), 2000, 'unawaited log');
    const lines = logSink.filter((l) => l.includes('send(websocket.send) failed and nothing awaited it (websocket /late; missing await?)'));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.filter((l) => l.startsWith('pagi error'))).toHaveLength(1);
    expect(unhandled).toEqual([]);
  });
});
