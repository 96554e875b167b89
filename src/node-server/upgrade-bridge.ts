/**
 * A `websocket` scope carried to a Node server's `'upgrade'` listeners
 * (issue 12): a request and an `UpgradeSocket` for the library, its HTTP
 * answer turned into `websocket.accept` (subprotocol and headers kept) or an
 * `http.response.*` refusal, frames both ways.
 */
import { randomBytes } from 'node:crypto';
import { IncomingMessage, type Server } from 'node:http';
import { Socket } from 'node:net';
import type { HeaderPair, Receive, Send, WebSocketScope } from '../protocol/types.js';
import { UpgradeSocket, type HandshakeAnswer } from './upgrade-socket.js';
import { RESOLVED } from '../protocol/resolved.js';

/** Headers of a 101 that belong to the handshake itself, not to `websocket.accept`. */
const HANDSHAKE_OWNED = new Set(['upgrade', 'connection', 'sec-websocket-accept', 'sec-websocket-extensions', 'sec-websocket-protocol']);
/** Headers of a refusal the PAGI server owns. */
const REFUSAL_OWNED = new Set(['connection', 'transfer-encoding', 'keep-alive', 'content-length']);

type UpgradeListener = (req: IncomingMessage, socket: UpgradeSocket, head: Buffer) => void;

export async function serveUpgrade(server: Server, scope: WebSocketScope, receive: Receive, send: Send): Promise<void> {
  await receive(); // websocket.connect
  const listeners = server.listeners('upgrade') as UpgradeListener[];
  if (listeners.length === 0) {
    await send({ type: 'http.response.start', status: 404, headers: [['content-type', 'text/plain; charset=utf-8']] });
    await send({ type: 'http.response.body', body: 'Not Found' });
    return;
  }
  type Phase = 'handshake' | 'open' | 'refusing' | 'done';
  let phase = 'handshake' as Phase;
  let resolveEnded!: () => void;
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  const socket: UpgradeSocket = new UpgradeSocket({
    async answer(answer: HandshakeAnswer) {
      if (answer.status === 101) {
        phase = 'open';
        const subprotocol = answer.headers.find(([n]) => n === 'sec-websocket-protocol')?.[1];
        const headers = answer.headers.filter(([n]) => !HANDSHAKE_OWNED.has(n));
        await send({ type: 'websocket.accept', headers, ...(subprotocol ? { subprotocol } : {}) });
        void pump();
      } else {
        phase = 'refusing';
        await send({ type: 'http.response.start', status: answer.status, headers: answer.headers.filter(([n]) => !REFUSAL_OWNED.has(n)) });
      }
    },
    async body(chunk) {
      if (phase === 'refusing') await send({ type: 'http.response.body', body: chunk, more: true });
    },
    // Per frame: the send's own promise, no async wrapper around it.
    message(data, isBinary) {
      if (phase !== 'open') return RESOLVED;
      return send(isBinary ? { type: 'websocket.send', bytes: data } : { type: 'websocket.send', text: data.toString('utf8') });
    },
    async close(code, reason) {
      if (phase !== 'open') return;
      phase = 'done';
      await send({ type: 'websocket.close', ...(code === 1005 ? {} : { code, reason }) });
    },
    ended() {
      resolveEnded();
    },
  });
  // Whatever the library does with the socket must not throw out of here.
  socket.on('error', () => {});
  const conn = scope['pagi.connection'];
  if (scope.client) [socket.remoteAddress, socket.remotePort] = scope.client;
  if (scope.server) {
    socket.localAddress = scope.server[0];
    socket.localPort = scope.server[1] ?? undefined;
  }

  const gone = conn.disconnect_future().then(
    () => undefined,
    () => undefined,
  );
  const pump = async (): Promise<void> => {
    for (;;) {
      const event = await receive();
      if (event.type === 'websocket.receive') {
        if (event.text !== undefined) socket.sendMessage(event.text, false);
        else socket.sendMessage(event.bytes ?? Buffer.alloc(0), true);
        // Bounded: wait while the library does not read, unless the client is gone (then drain to the end).
        if (!socket.hasRoom()) await Promise.race([socket.roomToRead(), gone]);
        continue;
      }
      if (event.type === 'websocket.disconnect') {
        // A library that is not reading would never see a Close frame: it sees the connection go instead.
        if (event.code === 1006 || !socket.isReading()) socket.disconnect();
        else socket.sendClose(event.code, event.reason ?? '');
      }
      return;
    }
  };

  const req = upgradeRequest(scope, socket);
  for (const listener of listeners) listener.call(server, req, socket, Buffer.alloc(0));
  await ended;
  // The library is done with the socket: finish what PAGI still has open.
  if (phase === 'refusing') {
    phase = 'done';
    await send({ type: 'http.response.body', body: Buffer.alloc(0), more: false });
  } else if (phase === 'open') {
    phase = 'done';
    // Destroyed without a Close frame: the client sees the connection fail, as it would natively.
    conn.abort('the Node server destroyed the WebSocket');
  } else if (phase === 'handshake') {
    conn.abort('the Node server dropped the handshake');
  }
}

/** An `IncomingMessage` for the library, carrying the handshake as the client sent it. */
function upgradeRequest(scope: WebSocketScope, socket: UpgradeSocket): IncomingMessage {
  const req = new IncomingMessage(socket as unknown as Socket);
  req.method = 'GET';
  req.url = scope.raw_path + (scope.query_string === '' ? '' : `?${scope.query_string}`);
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  const pairs: HeaderPair[] = scope.headers.filter(([name]) => name !== 'sec-websocket-extensions');
  // Extensions (permessage-deflate) the PAGI side cannot carry are negotiated away on the inner side.
  for (const [name, value] of pairs) {
    req.rawHeaders.push(name, value);
    const existing = req.headers[name];
    req.headers[name] = existing === undefined ? value : `${String(existing)}, ${value}`;
  }
  // HTTP/2 extended CONNECT (RFC 8441) has no Upgrade/Connection/Sec-WebSocket-Key: the library would
  // refuse with 400, so its handshake gets the HTTP/1.1 headers (the key's accept is ours to drop).
  if (scope.http_version === '2') {
    for (const [name, value] of [['connection', 'Upgrade'], ['upgrade', 'websocket'], ['sec-websocket-key', randomBytes(16).toString('base64')]] as const) {
      if (req.headers[name] !== undefined) continue;
      req.rawHeaders.push(name, value);
      req.headers[name] = value;
    }
  }
  req.complete = true;
  req.push(null);
  return req;
}
