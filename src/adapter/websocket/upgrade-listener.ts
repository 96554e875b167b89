/**
 * `toUpgradeListener(app)`: native PAGI WebSocket endpoints on a Node server
 * a team keeps (`app.listen()`, `http.createServer(app)`), through the same
 * session as `serve()`: accept, refusal, keepalive, limits, backpressure.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { App } from '../../protocol/types.js';
import { resolveOptions, type Logger } from '../options.js';
import { isWebSocketUpgrade } from './handshake.js';
import { createWebSocketHandler } from './upgrade-handler.js';

/** Options of {@link toUpgradeListener}. */
export interface UpgradeListenerOptions {
  /**
   * A 404 from the app before it accepts means "not mine": nothing is written
   * and the socket is left to the server's other `'upgrade'` listeners
   * (socket.io, `ws`), which must then answer or destroy it. Default `false`:
   * the 404 is written.
   */
  fallthrough?: boolean;
  /** Where errors and unawaited sends are reported (default: `console`). */
  logger?: Logger;
  /** Mount prefix (decoded, no trailing slash) for `root_path`/`raw_path`; default `''`. */
  rootPath?: string;
  /** State every scope gets a shallow copy of (PROTOCOL.md §9.3); default `{}`. */
  state?: Record<string, unknown>;
  /** Largest inbound message in bytes; above it the peer gets 1009. Default 16 MiB. */
  maxMessageSize?: number;
  /** Inbound messages queued for an app that does not read; overflow closes with 1008. Default 1000. */
  maxQueue?: number;
  /** Seconds to wait for the peer's Close after ours. Default 10. */
  closeTimeout?: number;
  /** Seconds a send may wait for the socket to take its bytes (0 = forever). Default 60. */
  sendTimeout?: number;
}

/** A `server.on('upgrade', ...)` listener running a PAGI app, with its sessions' shutdown. */
export interface UpgradeListener {
  (req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Open WebSocket sessions. */
  readonly size: number;
  /** Refuses new handshakes (503), closes open sockets with 1001; resolves once all are closed. */
  close(): Promise<void>;
}

/**
 * Wraps a PAGI app as an `'upgrade'` listener: every WebSocket handshake the
 * server receives becomes a `websocket` scope; other upgrades (h2c, ...) are
 * left untouched, as is a socket another listener already answered.
 *
 * @example
 * ```ts
 * const server = app.listen(3000); // Express keeps serving HTTP
 * server.on('upgrade', toUpgradeListener(chat, { fallthrough: true }));
 * ```
 */
export function toUpgradeListener(app: App, options: UpgradeListenerOptions = {}): UpgradeListener {
  // Shared validation with toNodeListener: a bad rootPath fails here, not on the first handshake.
  const resolved = resolveOptions({
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.rootPath !== undefined ? { rootPath: options.rootPath } : {}),
  });
  const handler = createWebSocketHandler({
    app,
    logger: resolved.logger,
    settings: {
      maxMessageSize: options.maxMessageSize ?? 16 * 1024 * 1024,
      maxQueue: options.maxQueue ?? 1000,
      closeTimeout: options.closeTimeout ?? 10,
      sendTimeout: options.sendTimeout ?? 60,
    },
    rootPath: resolved.rootPath,
    state: options.state ?? {},
    fallthrough: options.fallthrough === true,
  });
  const listener = ((req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (isWebSocketUpgrade(req)) handler.handleUpgrade(req, socket, head);
  }) as UpgradeListener;
  Object.defineProperty(listener, 'size', { get: () => handler.size });
  listener.close = async () => {
    await handler.shutdown();
  };
  return listener;
}
