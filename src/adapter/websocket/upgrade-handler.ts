/**
 * The `'upgrade'` side of a Node server: WebSocket handshakes become
 * `websocket` scopes (PROTOCOL.md §5), one `WebSocketSession` each, tracked
 * for graceful shutdown. Used by `serve()` and `toUpgradeListener`; other
 * transports (HTTP/2 extended CONNECT) hand their sessions in through `start`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { App, WebSocketScope } from '../../protocol/types.js';
import type { Logger } from '../options.js';
import { answeredElsewhere, handshakeProblem } from './handshake.js';
import { Http1Handshakes, Http1Transport } from './http1-transport.js';
import { WebSocketSession, type WebSocketSettings } from './session.js';
import type { WebSocketTransport } from './transport.js';
import { UpgradeResponse } from './upgrade-response.js';

export interface WebSocketHandlerOptions {
  app: App;
  logger: Logger;
  settings: WebSocketSettings;
  rootPath: string;
  /** The lifespan state, shallow-copied into every scope. */
  state: Record<string, unknown>;
  /** One call per session when its socket closes: the request and the answer's status (101, a refusal's). */
  accessLog?: ((req: IncomingMessage, status: number) => void) | undefined;
  /** Last word on each scope before the app sees it (the server's trusted proxy headers). */
  adjustScope?: ((scope: WebSocketScope) => void) | undefined;
  /** A 404 before accepting leaves the socket untouched, for the server's other 'upgrade' listeners. */
  fallthrough?: boolean;
  /**
   * Counts sessions against the server's open-work limit (`limitConcurrency`,
   * `limitMaxRequests`): a handshake `admit()` refuses gets 503 + `Retry-After`;
   * an admitted session is released when its socket closes.
   */
  admission?: { admit(): boolean; release(): void; readonly retryAfterSeconds: number } | undefined;
}

/** The parts of the handler's options every transport's scope uses. */
export type WebSocketScopeSettings = Readonly<Pick<WebSocketHandlerOptions, 'settings' | 'rootPath' | 'state' | 'adjustScope' | 'accessLog'>>;

export interface WebSocketHandler {
  /** Handles one upgrade request whose `upgrade` header says `websocket`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * Runs a session on a handshake another transport received (HTTP/2 extended
   * CONNECT), with the same admission as an HTTP/1.1 upgrade: during shutdown
   * or beyond the open-work limit the transport's refusal writer answers 503.
   */
  start(transport: WebSocketTransport): void;
  /** What a transport needs to build its scopes as the HTTP/1.1 ones are built. */
  readonly scopeOptions: WebSocketScopeSettings;
  /** Live sessions. */
  readonly size: number;
  /** Refuses new handshakes, closes open sockets with 1001; resolves when all sockets closed. */
  shutdown(): Promise<void>;
  /** Drops every remaining socket. */
  destroy(): void;
}

export function createWebSocketHandler(options: WebSocketHandlerOptions): WebSocketHandler {
  const handshakes = new Http1Handshakes(options.settings);
  const transportOptions = { ...options, handshakes };
  const context = {
    app: options.app,
    logger: options.logger,
    settings: options.settings,
    fallthrough: options.fallthrough === true,
  };
  const sessions = new Set<WebSocketSession>();
  let shuttingDown = false;

  const start = (transport: WebSocketTransport, admitted = false): void => {
    const session = new WebSocketSession(context, transport);
    sessions.add(session);
    void session.closed.then(() => {
      sessions.delete(session);
      if (admitted) options.admission?.release();
    });
    if (shuttingDown) session.shutdown();
    else void session.run();
  };

  const startHttp1 = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const problem = handshakeProblem(req);
    if (problem !== undefined || shuttingDown) {
      socket.on('error', ignore);
      const answer = new UpgradeResponse(req, socket);
      void (problem !== undefined ? answer.plain(400, problem) : answer.plain(503, 'Service Unavailable'));
      return;
    }
    const admission = options.admission;
    if (admission && !admission.admit()) {
      socket.on('error', ignore);
      void new UpgradeResponse(req, socket).plain(503, 'Service Unavailable', [['retry-after', String(admission.retryAfterSeconds)]]);
      return;
    }
    start(new Http1Transport(transportOptions, req, socket, head), admission !== undefined);
  };

  return {
    handleUpgrade(req, socket, head) {
      // Other 'upgrade' listeners of the server (socket.io, ws attached to it) run right after this
      // one, synchronously: decide once they all had their turn, and leave a socket one of them answered.
      queueMicrotask(() => {
        if (!answeredElsewhere(socket)) startHttp1(req, socket, head);
      });
    },
    start(transport) {
      if (shuttingDown) {
        void transport.refusal().plain(503, 'Service Unavailable');
        return;
      }
      const admission = options.admission;
      if (admission && !admission.admit()) {
        void transport.refusal().plain(503, 'Service Unavailable', [['retry-after', String(admission.retryAfterSeconds)]]);
        return;
      }
      start(transport, admission !== undefined);
    },
    scopeOptions: options,
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

function ignore(): void {}
