/**
 * The server's `'upgrade'` side: WebSocket handshakes become `websocket`
 * scopes (PROTOCOL.md §5), handled by `ws` in `noServer` mode so that the
 * handshake completes only when the app sends `websocket.accept`.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { App } from '../protocol/types.js';
import type { Logger } from './logger.js';
import { UpgradeResponse } from './upgrade-response.js';
import { WebSocketSession, type AcceptedHandshake, type WebSocketSettings } from './websocket-session.js';

export type { WebSocketSettings } from './websocket-session.js';

export interface WebSocketHandlerOptions {
  app: App;
  logger: Logger;
  settings: WebSocketSettings;
  rootPath: string;
  /** The lifespan state, shallow-copied into every scope. */
  state: Record<string, unknown>;
  accessLog?: ((line: string) => void) | undefined;
}

export interface WebSocketHandler {
  /** Handles one upgrade request whose `upgrade` header says `websocket`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Live sessions. */
  readonly size: number;
  /** Refuses new handshakes, closes open sockets with 1001; resolves when all sockets closed. */
  shutdown(): Promise<void>;
  /** Drops every remaining socket. */
  destroy(): void;
}

const KEY = /^[+/0-9A-Za-z]{22}==$/;
// RFC 6455 §4.1: subprotocol values are RFC 2616 tokens.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function createWebSocketHandler(options: WebSocketHandlerOptions): WebSocketHandler {
  const accepted = new WeakMap<IncomingMessage, AcceptedHandshake>();
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: options.settings.maxMessageSize,
    handleProtocols: (_offered, req) => accepted.get(req)?.subprotocol ?? false,
    // Our own close timer runs first and knows the reason (close_timeout); ws's is only a backstop.
    ...({ closeTimeout: options.settings.closeTimeout * 1000 + 1000 } as object),
  });
  wss.on('headers', (lines: string[], req: IncomingMessage) => {
    for (const [name, value] of accepted.get(req)?.headers ?? []) lines.push(`${name}: ${value}`);
  });
  const sessions = new Set<WebSocketSession>();
  let shuttingDown = false;

  const start = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const problem = handshakeProblem(req);
    if (problem !== undefined || shuttingDown) {
      socket.on('error', ignore);
      const answer = new UpgradeResponse(req, socket);
      void (problem !== undefined ? answer.plain(400, problem) : answer.plain(503, 'Service Unavailable'));
      return;
    }
    const session = new WebSocketSession(
      {
        app: options.app,
        logger: options.logger,
        wss,
        accepted,
        settings: options.settings,
        rootPath: options.rootPath,
        state: options.state,
        accessLog: options.accessLog,
      },
      req,
      socket,
      head,
    );
    sessions.add(session);
    void session.closed.then(() => sessions.delete(session));
    void session.run();
  };

  return {
    handleUpgrade(req, socket, head) {
      // Other 'upgrade' listeners of the server (socket.io, ws attached to it) run right after this
      // one, synchronously: decide once they all had their turn, and leave a socket one of them answered.
      queueMicrotask(() => {
        if (!answeredElsewhere(socket)) start(req, socket, head);
      });
    },
    get size() {
      return sessions.size;
    },
    async shutdown() {
      shuttingDown = true;
      for (const session of sessions) session.shutdown();
      await Promise.all([...sessions].map((s) => s.closed));
    },
    destroy() {
      for (const session of sessions) session.destroy();
    },
  };
}

/** True when an upgrade request asks for WebSocket (other upgrades, e.g. h2c, are plain HTTP to us). */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/**
 * Checks what `ws` would reject, before the app is involved: once the app has
 * accepted, a failed handshake could no longer be reported to it.
 */
function handshakeProblem(req: IncomingMessage): string | undefined {
  if (req.method !== 'GET') return 'WebSocket handshakes must use GET';
  // RFC 6455 §4.1: "The method of the request MUST be GET, and the HTTP version MUST be at least 1.1."
  if (req.httpVersionMajor < 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor < 1)) {
    return 'WebSocket handshakes require HTTP/1.1';
  }
  if (!KEY.test(req.headers['sec-websocket-key'] ?? '')) return 'Missing or invalid Sec-WebSocket-Key header';
  const version = req.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') return 'Missing or invalid Sec-WebSocket-Version header';
  const protocols = req.headers['sec-websocket-protocol'];
  if (protocols !== undefined) {
    for (const p of protocols.split(',')) {
      if (!TOKEN.test(p.trim())) return 'Invalid Sec-WebSocket-Protocol header';
    }
  }
  return undefined;
}

/** Another 'upgrade' listener wrote to (or ended) the socket: it answered, the connection is not ours. */
export function answeredElsewhere(socket: Duplex): boolean {
  return ((socket as Partial<Socket>).bytesWritten ?? 0) > 0 || socket.writableLength > 0 || socket.writableEnded;
}

function ignore(): void {}
