/**
 * `toNodeListener(app)`: a PAGI app as a `(req, res)` listener for
 * `http.createServer`/`https.createServer`, and the per-request entry points
 * `serve()` builds on (PROTOCOL.md §12.3).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createConnection } from '../protocol/connection.js';
import { getHeader } from '../protocol/headers.js';
import { createSendValidator } from '../protocol/validate.js';
import type { App } from '../protocol/types.js';
import { runApp } from './completion.js';
import { Exchange, type ExchangeHooks } from './exchange.js';
import { resolveOptions, type AdapterOptions, type ResolvedOptions } from './options.js';
import { requestToScope } from './request-to-scope.js';

export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Wraps a PAGI app (`http` and `sse` scopes) as a Node request listener. */
export function toNodeListener(app: App, options?: AdapterOptions): NodeListener {
  if (typeof app !== 'function') throw new TypeError('toNodeListener(app): app must be a function');
  const resolved = resolveOptions(options);
  return function pagiListener(req: IncomingMessage, res: ServerResponse): void {
    handleRequest(app, req, res, resolved);
  };
}

/**
 * Builds the scope and the exchange for one request without calling the app,
 * so a host can adjust the scope first (toExpress sets the mount paths).
 * `state` overrides `options.state` (serve() passes the lifespan state).
 */
export function createExchange(
  req: IncomingMessage,
  res: ServerResponse,
  options: ResolvedOptions,
  hooks?: ExchangeHooks,
  state?: Record<string, unknown>,
): Exchange {
  const connection = createConnection();
  const scope = requestToScope(req, connection.state, {
    rootPath: options.rootPath,
    rawRootPath: options.rawRootPath,
    state: state ?? options.state,
    fullflush: options.fullflush,
  });
  return new Exchange(req, res, scope, connection, createSendValidator(scope), options, hooks);
}

/**
 * Runs `app` for one request: enforces a declared `content-length` above
 * `maxBodySize` with a 413 before the app is called, otherwise calls it.
 * Returns the exchange (serve() keeps it to end in-flight scopes on shutdown).
 */
export function startExchange(app: App, exchange: Exchange): Exchange {
  const max = exchange.options.maxBodySize;
  if (max > 0) {
    const declared = getHeader(exchange.scope.headers, 'content-length');
    if (declared !== undefined && Number(declared) > max) {
      exchange.bodyTooLarge(Number(declared));
      return exchange;
    }
  }
  runApp(app, exchange);
  return exchange;
}

/** `createExchange` + `startExchange`: the whole per-request path of `toNodeListener`. */
export function handleRequest(
  app: App,
  req: IncomingMessage,
  res: ServerResponse,
  options: ResolvedOptions,
  state?: Record<string, unknown>,
): Exchange {
  return startExchange(app, createExchange(req, res, options, undefined, state));
}

/**
 * Makes `Expect: 100-continue` lazy on `server`: by default Node answers
 * `100 Continue` before the listener runs; with a `'checkContinue'` listener
 * it does not, and the adapter sends it when the app first calls `receive()`
 * for the body (§4.2). An app that answers without reading never triggers it.
 */
export function sendContinueLazily(server: Server, listener: NodeListener): void {
  server.on('checkContinue', listener);
}
