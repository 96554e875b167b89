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
import { LiveExchanges } from './live-exchanges.js';
import { offerNativeExchange } from './native-handover.js';
import { NodeTransport } from './transport.js';

export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void;

/** The listener `toNodeListener` returns, with the hooks a server needs for graceful shutdown. */
export interface PagiNodeListener extends NodeListener {
  /** Scopes in flight (app running or response not yet closed). */
  readonly activeCount: number;
  /** Ends live SSE streams (`server_shutdown`) and makes every later response close its connection. */
  shutdown(): void;
  /** Resolves once no scope is in flight. */
  idle(): Promise<void>;
}

/** Wraps a PAGI app (`http` and `sse` scopes) as a Node request listener. */
export function toNodeListener(app: App, options?: AdapterOptions): PagiNodeListener {
  if (typeof app !== 'function') throw new TypeError('toNodeListener(app): app must be a function');
  const resolved = resolveOptions(options);
  const live = new LiveExchanges();
  const listener = function pagiListener(req: IncomingMessage, res: ServerResponse): void {
    startExchange(app, createExchange(req, res, resolved, undefined, undefined, live));
  };
  return Object.defineProperties(listener, {
    activeCount: { get: () => live.size, enumerable: true },
    shutdown: { value: () => live.shutdown(), enumerable: true },
    idle: { value: () => live.idle(), enumerable: true },
  }) as PagiNodeListener;
}

/**
 * Builds the scope and the exchange for one request without calling the app,
 * so a host can adjust the scope first (toExpress sets the mount paths).
 * `state` overrides `options.state` (serve() passes the lifespan state);
 * `tracker` collects in-flight exchanges for shutdown.
 */
export function createExchange(
  req: IncomingMessage,
  res: ServerResponse,
  options: ResolvedOptions,
  hooks?: ExchangeHooks,
  state?: Record<string, unknown>,
  tracker?: LiveExchanges,
): Exchange {
  const connection = createConnection();
  const scope = requestToScope(req, connection.state, {
    rootPath: options.rootPath,
    rawRootPath: options.rawRootPath,
    state: state ?? options.state,
    fullflush: options.fullflush,
    interim: options.interim,
  });
  const exchange = new Exchange(req, res, scope, connection, createSendValidator(scope), options, hooks, tracker);
  const transport = new NodeTransport(res, options.logger);
  exchange.writer.transport = transport;
  scope['pagi.transport'] = transport;
  // Hosts with hooks (toExpress) customise what the exchange writes, and an HTTP/2
  // stream is not a ServerResponse Express could answer on: never handed over.
  if (hooks === undefined && !exchange.writer.http2) offerNativeExchange(exchange);
  return exchange;
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
      // The app is never called: the scope is over as far as completion goes.
      exchange.appSettled = true;
      exchange.bodyTooLarge(Number(declared));
      exchange.finalizeIfDone();
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
  tracker?: LiveExchanges,
): Exchange {
  return startExchange(app, createExchange(req, res, options, undefined, state, tracker));
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
