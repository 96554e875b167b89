/**
 * The WebSocket direct path of `fromNodeServer` (issue 12 performance): straight on `serve()` the
 * server's `'upgrade'` listeners get Node's own `(req, socket, head)`; composed (mount, cascade) they
 * get the emulated socket. What the server still owes on the direct path: admission until the socket
 * closes, the access log's status, a 1001 at shutdown, destroy at the end of the grace period.
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Server as SocketIoServer } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import WebSocket, { WebSocketServer } from 'ws';
import { cascade, fromNodeServer, mount } from '../../src/index.js';
import { upgradePath } from '../../src/node-server/direct-upgrade.js';
import type { App, WebSocketScope } from '../../src/protocol/types.js';
import { waitFor, within } from '../server/helpers.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../server/test-server.js';
import { closeH2, connectH2, h2websocket } from '../server/http2/h2-client.js';
import { TestClient } from '../../src/testing/index.js';

let server: TestServer | undefined;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  upgradePath.served = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.close();
  server = undefined;
});

/** Which path served each websocket scope, in order. */
function watchPaths(): string[] {
  const paths: string[] = [];
  upgradePath.served = (path: string, scope: WebSocketScope) => paths.push(`${path} ${scope.root_path}${scope.path}`);
  return paths;
}

/** A ws echo server on a Node server that is never listened on; `sockets` collects the library's sockets. */
function wsEcho(options: ConstructorParameters<typeof WebSocketServer>[0] = {}): { node: http.Server; sockets: WebSocket[] } {
  const node = http.createServer();
  const wss = new WebSocketServer({ server: node, perMessageDeflate: false, ...options });
  cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
  const sockets: WebSocket[] = [];
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  return { node, sockets };
}

interface Handshake {
  ws: WebSocket;
  status: number;
  body: string;
  /** The first message, listened for from the start. */
  first: Promise<string>;
}

/** Opens a client: 101 resolves with the socket, a refusal with its status and body. */
function handshake(url: string, protocols?: string[]): Promise<Handshake> {
  return within(
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
      cleanups.push(() => ws.readyState !== WebSocket.CONNECTING && ws.terminate());
      const first = within(new Promise<string>((r) => ws.once('message', (d: Buffer) => r(d.toString()))), 5000, 'first message');
      first.catch(() => {});
      ws.once('error', reject);
      ws.on('error', () => {});
      ws.once('open', () => resolve({ ws, status: 101, body: '', first }));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ ws, status: res.statusCode ?? 0, body, first }));
      });
    }),
    5000,
    'websocket handshake',
  );
}

function echoOnce(ws: WebSocket, text: string): Promise<string> {
  const reply = within(new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString()))), 5000, 'echo');
  ws.send(text);
  return reply;
}

function closeOf(ws: WebSocket, ms = 5000): Promise<number> {
  return within(new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code))), ms, 'close');
}

describe('fromNodeServer direct path', () => {
  it('serve(fromNodeServer(server)) hands ws the real socket; the access log records 101', async () => {
    const paths = watchPaths();
    const lines: string[] = [];
    const { node, sockets } = wsEcho({ handleProtocols: (offered) => [...offered].at(-1) ?? false });
    server = await startTestServer(fromNodeServer(node), { accessLog: (line) => lines.push(line) });
    const { ws } = await handshake(`${server.wsUrl}/live?x=1`, ['a', 'b']);
    expect(ws.protocol).toBe('b');
    expect(await echoOnce(ws, 'hello')).toBe('hello');
    expect(paths).toEqual(['direct /live']);
    // The library's socket is Node's own net.Socket, not the emulated one.
    const real = (sockets[0] as unknown as { _socket: net.Socket })._socket;
    expect(real).toBeInstanceOf(net.Socket);
    // Watching the 101 left no own write/end behind: the socket has the shape of one never watched
    // (own properties there slowed every frame on Node 24; see upgrade-handover.ts).
    expect([Object.hasOwn(real, 'write'), Object.hasOwn(real, 'end')]).toEqual([false, false]);
    const code = closeOf(ws);
    ws.close(4001, 'bye');
    expect(await code).toBe(4001);
    await waitFor(() => lines.length === 1, 5000, 'access log line');
    expect(lines[0]).toMatch(/"GET \/live\?x=1 HTTP\/1\.1" 101 -$/);
  });

  it('refusals reach the client unchanged and are logged with their status: ws verifyClient 401, a path ws does not serve 400', async () => {
    const paths = watchPaths();
    const lines: string[] = [];
    const { node } = wsEcho({
      path: '/ws',
      verifyClient: (info: { req: http.IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) =>
        info.req.url?.includes('token=ok') ? done(true) : done(false, 401, 'who are you'),
    });
    server = await startTestServer(fromNodeServer(node), { accessLog: (line) => lines.push(line) });
    const refused = await handshake(`${server.wsUrl}/ws`);
    expect([refused.status, refused.body]).toEqual([401, 'who are you']);
    expect((await handshake(`${server.wsUrl}/elsewhere`)).status).toBe(400);
    const { ws } = await handshake(`${server.wsUrl}/ws?token=ok`);
    expect(await echoOnce(ws, 'in')).toBe('in');
    ws.close();
    expect(paths).toEqual(['direct /ws', 'direct /elsewhere', 'direct /ws']);
    await waitFor(() => lines.length === 3, 5000, 'access log lines');
    expect(lines.map((line) => line.match(/" (\d{3}) -$/)?.[1]).sort()).toEqual(['101', '400', '401']);
  });

  it('socket.io over the websocket transport takes the direct path; its allowRequest refusal reaches the client', async () => {
    const paths = watchPaths();
    const node = http.createServer();
    const io = new SocketIoServer(node, {
      transports: ['websocket'],
      allowRequest: (req, done) => done(null, !req.url?.includes('deny=1')),
    });
    cleanups.push(() => io.close());
    io.on('connection', (s) => s.on('echo', (v: unknown, ack: (v: unknown) => void) => ack(v)));
    server = await startTestServer(fromNodeServer(node));

    const socket = ioClient(server.url, { transports: ['websocket'], reconnection: false, timeout: 5000 });
    cleanups.push(() => socket.close());
    await within(new Promise<void>((resolve) => socket.once('connect', resolve)), 5000, 'socket.io connect');
    expect(await within(socket.timeout(5000).emitWithAck('echo', { n: 1 }), 5000, 'ack')).toEqual({ n: 1 });
    expect(paths).toEqual(['direct /socket.io/']);

    const refused = await handshake(`${server.wsUrl}/socket.io/?EIO=4&transport=websocket&deny=1`);
    expect(refused.status).toBe(400);
    expect(refused.body).toBe('Forbidden');
  });

  it('mount and cascade keep the emulated path (and its 404 "not mine")', async () => {
    const paths = watchPaths();
    const { node } = wsEcho({ path: '/app/ws' });
    const bare = http.createServer(); // no 'upgrade' listener: declined with 404 before the handshake
    const native: App = async (scope, receive, send) => {
      if (scope.type !== 'websocket') return;
      await receive();
      await send({ type: 'websocket.accept' });
      await send({ type: 'websocket.send', text: 'native' });
    };
    server = await startTestServer(mount({ '/app': fromNodeServer(node), '/': cascade([fromNodeServer(bare), native]) }));
    const { ws } = await handshake(`${server.wsUrl}/app/ws`);
    expect(await echoOnce(ws, 'mounted')).toBe('mounted');
    const other = await handshake(`${server.wsUrl}/other`);
    expect(await other.first).toBe('native');
    expect(paths).toEqual(['emulated /app/ws']);
  });

  it('cascade: the last app gets the direct path when the earlier ones declined without receiving, not when one received', async () => {
    const paths = watchPaths();
    const { node } = wsEcho();
    // Declines by path before reading anything: cascade hands the last app the server's own scope/receive/send.
    const byPath: App = async (scope, _receive, send) => {
      if (scope.type === 'websocket' && scope.path === '/native') {
        await send({ type: 'websocket.close' });
        return;
      }
      await send({ type: 'http.response.start', status: 404 });
      await send({ type: 'http.response.body' });
    };
    // Reads websocket.connect first, then declines: the last app must get the replayed receive.
    const reading: App = async (scope, receive, send) => {
      if (scope.type === 'websocket') await receive();
      await send({ type: 'http.response.start', status: 404 });
      await send({ type: 'http.response.body' });
    };
    server = await startTestServer(mount({ '/a': cascade([byPath, fromNodeServer(node)]), '/': cascade([reading, fromNodeServer(node)]) }));
    const first = await handshake(`${server.wsUrl}/a/x`);
    expect(await echoOnce(first.ws, 'a')).toBe('a');
    const second = await handshake(`${server.wsUrl}/b`);
    expect(await echoOnce(second.ws, 'b')).toBe('b');
    // '/a' is a real prefix: mount's scope copy alone keeps the emulated path; '/' passes the scope through.
    expect(paths).toEqual(['emulated /a/x', 'emulated /b']);
    paths.length = 0;
    await server.close();
    server = await startTestServer(mount({ '/': cascade([byPath, fromNodeServer(node)]) }));
    const third = await handshake(`${server.wsUrl}/c`);
    expect(await echoOnce(third.ws, 'c')).toBe('c');
    expect(paths).toEqual(['direct /c']);
  });

  it('trusted proxy headers that rewrite the client keep the emulated path (the library reads the scope\'s address)', async () => {
    const paths = watchPaths();
    const node = http.createServer();
    const wss = new WebSocketServer({ server: node, perMessageDeflate: false });
    cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
    wss.on('connection', (ws, req) => ws.send(String(req.socket.remoteAddress)));
    server = await startTestServer(fromNodeServer(node), { proxyHeaders: true, forwardedAllowIps: '127.0.0.1' });
    const proxied = new WebSocket(server.wsUrl, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    proxied.on('error', () => {});
    cleanups.push(() => proxied.terminate());
    expect(await within(new Promise<string>((r) => proxied.once('message', (d: Buffer) => r(d.toString()))), 5000, 'address')).toBe('203.0.113.9');
    const plain = await handshake(server.wsUrl);
    expect(await plain.first).toBe('127.0.0.1');
    expect(paths).toEqual(['emulated /', 'direct /']);
  });

  it('HTTP/2 extended CONNECT and TestClient keep the emulated path', async () => {
    const paths = watchPaths();
    const { node } = wsEcho();
    server = await startTestServer(fromNodeServer(node), { http2: true });
    const session = await connectH2(server.url);
    cleanups.push(() => closeH2(session));
    const h2 = await h2websocket(session, '/h2');
    expect(h2.status).toBe(200);
    expect(await echoOnce(h2.ws!, 'over h2')).toBe('over h2');
    h2.ws!.close(1000);

    const client = new TestClient(fromNodeServer(node));
    const socket = await within(client.websocket('/t'), 5000, 'websocket');
    socket.sendText('in process');
    expect(await within(socket.receiveText(), 5000, 'text')).toBe('in process');
    socket.close(1000);
    await within(socket.settled(), 5000, 'settled');
    expect(paths).toEqual(['emulated /h2', 'emulated /t']);
  });

  it('limitConcurrency counts a direct WebSocket until its socket closes', async () => {
    const { node } = wsEcho();
    server = await startTestServer(fromNodeServer(node), { limitConcurrency: 1 });
    const first = await handshake(server.wsUrl);
    const refused = await handshake(server.wsUrl);
    expect(refused.status).toBe(503);
    const code = closeOf(first.ws);
    first.ws.close(1000);
    await code;
    // The server releases the place when its side of the socket closed, a moment after the client's.
    let again = await handshake(server.wsUrl);
    for (let tries = 0; again.status !== 101 && tries < 50; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      again = await handshake(server.wsUrl);
    }
    expect(again.status).toBe(101);
  });

  it('graceful shutdown starts a 1001 close on direct WebSockets, and destroys one whose library never answers', async () => {
    const { node, sockets } = wsEcho();
    const options: TestServerOptions = { gracefulTimeout: 0.5 };
    server = await startTestServer(fromNodeServer(node), options);
    const polite = await handshake(server.wsUrl);
    const stuck = await handshake(server.wsUrl);
    await waitFor(() => sockets.length === 2, 5000, 'library sockets');
    // This library socket stops reading: it never sees the client's Close.
    sockets[1]!.pause();
    const politeCode = closeOf(polite.ws);
    const stuckCode = closeOf(stuck.ws);
    const closing = server.close();
    server = undefined;
    expect(await politeCode).toBe(1001);
    await waitFor(() => sockets[0]!.readyState === WebSocket.CLOSED, 5000, "library socket closed");
    // The stuck one saw our Close too, but its library never answered: it goes when the grace period ends.
    expect(await stuckCode).toBe(1001);
    await within(closing, 5000, 'server closed');
    expect((sockets[1] as unknown as { _socket: net.Socket })._socket.destroyed).toBe(true);
  });
});
