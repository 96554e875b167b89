/**
 * `fromNodeServer` (issue 12): composing with `mount` (a 404 before the handshake means "not mine"),
 * and backpressure both ways between a real `ws` server library and a real `ws` client through serve().
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { cascade, fromNodeServer, mount } from '../../src/index.js';
import type { App } from '../../src/protocol/types.js';
import { upgradePath } from '../../src/node-server/direct-upgrade.js';
import { waitFor, within } from '../server/helpers.js';
import { startTestServer, type TestServer } from '../server/test-server.js';

let server: TestServer | undefined;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.close();
  server = undefined;
});

const CHUNK = Buffer.alloc(64 * 1024, 1);
/** Far more than loopback socket buffers and the session's queues hold together. */
const FLOOD_LIMIT = 64 * 1024 * 1024;
const BACKED_UP = 1024 * 1024;

/** Opens a client; `first` resolves with its first text message (listened for from the start). */
async function open(url: string): Promise<{ ws: WebSocket; first: Promise<string> }> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('error', () => {});
  cleanups.push(() => ws.terminate());
  const first = within(new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString()))), 5000, 'message');
  first.catch(() => {});
  await within(new Promise((resolve) => ws.once('open', resolve)), 5000, 'open');
  return { ws, first };
}

/** A ws server on a Node server that is never listened on; `onConnection` gets each library socket. */
function wsLibrary(path: string | undefined, onConnection: (ws: WebSocket) => void): http.Server {
  const node = http.createServer();
  const wss = new WebSocketServer({ server: node, ...(path ? { path } : {}), perMessageDeflate: false });
  cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
  wss.on('connection', onConnection);
  return node;
}

describe('fromNodeServer composed and under load', () => {
  it('composes with mount and cascade: prefix routing, and a 404 before the handshake is "not mine"', async () => {
    // A legacy noServer + handleUpgrade setup that answers 404 to paths it does not serve.
    const node = http.createServer();
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
    node.on('upgrade', (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
      if (req.url !== '/app/ws') {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => ws.send('library'));
    });
    const native: App = async (scope, receive, send) => {
      if (scope.type !== 'websocket') return;
      await receive();
      await send({ type: 'websocket.accept' });
      await send({ type: 'websocket.send', text: `native ${scope.root_path}${scope.path}` });
    };
    server = await startTestServer(mount({ '/app': cascade([fromNodeServer(node), native]), '/native': native }));

    // mount strips '/app' into root_path; the library still sees the full URL the client asked for.
    expect(await (await open(`${server.wsUrl}/app/ws`)).first).toBe('library');
    // The library said 404 before any handshake: cascade gave the upgrade to the next app.
    expect(await (await open(`${server.wsUrl}/app/other`)).first).toBe('native /app/other');
    expect(await (await open(`${server.wsUrl}/native`)).first).toBe('native /native/');
  });

  it('a PAGI client that does not read stops the library\'s writes (bufferedAmount grows, bounded)', async () => {
    let library: WebSocket | undefined;
    server = await startTestServer(fromNodeServer(wsLibrary(undefined, (ws) => (library = ws))));
    const { ws: client } = await open(server.wsUrl);
    await waitFor(() => library !== undefined, 5000, 'library connection');
    // The client stops reading its TCP connection.
    (client as unknown as { _socket: import('node:net').Socket })._socket.pause();

    let sent = 0;
    while (library!.bufferedAmount < BACKED_UP && sent < FLOOD_LIMIT) {
      library!.send(CHUNK);
      sent += CHUNK.length;
      // Let the bytes move as far as the pipeline lets them.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(library!.bufferedAmount).toBeGreaterThanOrEqual(BACKED_UP);
    expect(sent).toBeLessThan(FLOOD_LIMIT);

    // Once the client reads again, everything arrives.
    let received = 0;
    client.on('message', (data: Buffer) => (received += data.length));
    (client as unknown as { _socket: import('node:net').Socket })._socket.resume();
    await waitFor(() => received === sent, 20_000, 'all messages');
    expect(library!.bufferedAmount).toBe(0);
  });

  it('a library that does not read: the bridge buffers at most one stream buffer, the session queue overflows with 1008', async () => {
    // The emulated path's bound (mount/cascade take it); straight on serve() the library reads its own socket.
    upgradePath.enabled = false;
    cleanups.push(() => (upgradePath.enabled = true));
    let library: WebSocket | undefined;
    let received = 0;
    server = await startTestServer(
      fromNodeServer(
        wsLibrary(undefined, (ws) => {
          library = ws;
          ws.pause(); // ws pauses its socket: nothing more is read from the bridge
          ws.on('message', () => received++);
        }),
      ),
    );
    const { ws: client } = await open(server.wsUrl);
    await waitFor(() => library !== undefined, 5000, 'library connection');
    const closed = within(new Promise<number>((resolve) => client.once('close', (code: number) => resolve(code))), 20_000, 'close');

    // More small messages than the session's receive queue (1,000 by default) holds.
    const small = Buffer.alloc(1024, 2);
    let peak = 0;
    const librarySocket = (library as unknown as { _socket: import('node:stream').Duplex })._socket;
    for (let i = 0; i < 1500 && client.readyState === WebSocket.OPEN; i++) {
      client.send(small);
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      peak = Math.max(peak, librarySocket.readableLength);
    }
    // The PAGI side stopped framing messages into the library once its stream buffer was full...
    expect(peak).toBeLessThanOrEqual(librarySocket.readableHighWaterMark + small.length + 16);
    expect(received).toBeLessThan(100); // what ws had parsed before its pause took effect
    // ...so the messages waited in the session's bounded queue, whose overflow closes with 1008.
    expect(await closed).toBe(1008);
  });
});
