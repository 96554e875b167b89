/**
 * HTTP and SSE requests of `serve()`: the adapter's per-request path plus what
 * only a server needs — the lifespan state, the access log, and a registry of
 * in-flight exchanges so shutdown can end SSE streams and wait for the rest.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleRequest, resolveOptions, type Exchange } from '../adapter/index.js';
import type { App } from '../protocol/types.js';
import { logWhenDone } from './access-log.js';
import type { ResolvedConfig } from './config.js';

export interface HttpHandler {
  listener(req: IncomingMessage, res: ServerResponse): void;
  /** Requests whose response has not closed yet. */
  readonly inFlight: number;
  /**
   * Shutdown begins: streaming SSE scopes end with `server_shutdown` (their
   * response is ended cleanly so EventSource clients see the stream close),
   * and no response keeps its connection alive any more. Idempotent: called
   * again while draining, it also ends streams that started meanwhile.
   */
  shutdown(): void;
  /** Resolves when no response is in flight. */
  idle(): Promise<void>;
}

export function createHttpHandler(app: App, config: ResolvedConfig, state: Record<string, unknown>): HttpHandler {
  const options = resolveOptions({
    rootPath: config.rootPath,
    maxBodySize: config.maxBodySize,
    logger: config.logger,
  });
  const live = new Set<Exchange>();
  let idleWaiters: Array<() => void> = [];
  let shuttingDown = false;
  const accessLog = config.accessLog;

  const forget = (exchange: Exchange) => {
    live.delete(exchange);
    if (live.size === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const wake of waiters) wake();
    }
  };

  return {
    listener(req, res) {
      if (shuttingDown) res.shouldKeepAlive = false;
      if (accessLog) logWhenDone(req, res, accessLog);
      const exchange = handleRequest(app, req, res, options, state);
      if (exchange.closed) return;
      live.add(exchange);
      res.once('close', () => forget(exchange));
    },
    get inFlight() {
      return live.size;
    },
    shutdown() {
      shuttingDown = true;
      for (const exchange of live) {
        // Node reads shouldKeepAlive when it writes the head; heads already sent keep their framing.
        if (!exchange.res.headersSent) exchange.res.shouldKeepAlive = false;
        endStream(exchange);
      }
    },
    idle() {
      if (live.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}

/** Ends a streaming SSE scope for shutdown; requests and not-yet-started streams get the grace period. */
function endStream(exchange: Exchange): void {
  if (exchange.scope.type !== 'sse' || exchange.validator.state !== 'open' || exchange.connection.ended) return;
  exchange.endAbnormally('server_shutdown', 'the server is shutting down');
  exchange.res.end();
}
