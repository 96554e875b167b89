/**
 * `fromNodeServer(server)`: a whole Node HTTP server — with whatever
 * listeners the app's code attached (Express, socket.io's polling
 * dispatcher, ...) — as one PAGI app.
 *
 * `http` and `sse` scopes go to the server's `'request'` listeners through
 * the same bridge as `fromExpress`. The listeners are read when each scope
 * arrives, not once at wrap time: socket.io replaces them with its own
 * dispatcher when it attaches, and other libraries add theirs late.
 *
 * `websocket` scopes go to the server's `'upgrade'` listeners (ws, socket.io):
 * straight on `serve()` they get Node's own upgrade (`direct-upgrade.ts`);
 * otherwise (mount, cascade, middleware, HTTP/2, TestClient) a request and a
 * socket that behave like Node's (`upgrade-bridge.ts`). With no listener they
 * are declined with 404 before the handshake, so `cascade`/`mount` treat them
 * as "not mine".
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { fromExpress, type FromExpressOptions, type NextFunction } from '../bridge/index.js';
import type { App } from '../protocol/types.js';
import { nativeUpgradeOf } from '../_internal/native-upgrade.js';
import { serveUpgradeDirect, upgradePath } from './direct-upgrade.js';
import { serveUpgrade } from './upgrade-bridge.js';

/** Options of {@link fromNodeServer}: those of `fromExpress` (lifespan hooks, `highWaterMark`, ...). */
export type FromNodeServerOptions = FromExpressOptions;

/**
 * Wraps a Node `http.Server` that is not listening as a PAGI app.
 *
 * @example
 * ```ts
 * const server = http.createServer(expressApp);
 * new SocketIoServer(server, { transports: ['polling'] });
 * await serve(fromNodeServer(server), { port: 3000 });
 * ```
 */
export function fromNodeServer(server: Server, options: FromNodeServerOptions = {}): App {
  if (typeof server !== 'object' || server === null || typeof server.listeners !== 'function') {
    throw new TypeError('fromNodeServer: expected a node:http Server');
  }
  if (server.listening) {
    throw new TypeError('fromNodeServer: the server is already listening; pass it before calling listen()');
  }
  const dispatch = (req: IncomingMessage, res: ServerResponse, next: NextFunction): void => {
    const listeners = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
    // No listener: Node would leave the request hanging; answer the bridge's 404 instead.
    if (listeners.length === 0) return next();
    // As `server.emit('request', req, res)` does: every listener, in order, with the server as `this`.
    for (const listener of listeners) listener.call(server, req, res);
  };
  const http = fromExpress(dispatch, options);
  return function nodeServerApp(scope, receive, send) {
    if (scope.type !== 'websocket') return http(scope, receive, send);
    const listeners = server.listeners('upgrade') as Array<Parameters<typeof serveUpgradeDirect>[1][number]>;
    if (listeners.length > 0) {
      const native = upgradePath.enabled ? nativeUpgradeOf(send)?.adopt(scope, receive) : undefined;
      upgradePath.served?.(native ? 'direct' : 'emulated', scope);
      if (native) return serveUpgradeDirect(server, listeners, native);
    }
    return serveUpgrade(server, scope, receive, send);
  };
}
