/**
 * The server's `'upgrade'` side: WebSocket handshakes become `websocket`
 * scopes (PROTOCOL.md §5), handled by `ws` in `noServer` mode so that the
 * handshake completes only when the app sends `websocket.accept`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { App } from '../protocol/types.js';
import type { AccessLog } from './access-log.js';
import type { Logger } from './logger.js';
import { RETRY_AFTER_SECONDS } from './limits.js';
import type { ProxyTrust } from './proxy-headers.js';
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
  accessLog?: AccessLog | undefined;
  /** Set with `proxyHeaders`. */
  proxyTrust?: ProxyTrust | undefined;
  /**
   * Called before a handshake is handled; returning false refuses it with 503
   * and `Retry-After` (limitConcurrency).
   */
  admit?: (() => boolean) | undefined;
  /** Called once per session when it has ended (limitMaxRequests counting, concurrency). */
  onSessionEnd?: (() => void) | undefined;
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
    perMessageDeflate: options.settings.perMessageDeflate,
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

  return {
    handleUpgrade(req, socket, head) {
      const problem = handshakeProblem(req);
      if (problem !== undefined || shuttingDown) {
        socket.on('error', ignore);
        const answer = new UpgradeResponse(req, socket);
        void (problem !== undefined ? answer.plain(400, problem) : answer.plain(503, 'Service Unavailable'));
        return;
      }
      if (options.admit && !options.admit()) {
        socket.on('error', ignore);
        void new UpgradeResponse(req, socket).plain(503, 'Service Unavailable', [['retry-after', String(RETRY_AFTER_SECONDS)]]);
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
          proxyTrust: options.proxyTrust,
        },
        req,
        socket,
        head,
      );
      sessions.add(session);
      void session.closed.then(() => {
        sessions.delete(session);
        options.onSessionEnd?.();
      });
      void session.run();
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

function ignore(): void {}
