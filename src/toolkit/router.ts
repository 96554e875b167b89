/**
 * `router()`: routes by method and path, with Express 5's path syntax and
 * matching (`route-pattern.ts`), as one PAGI app.
 *
 * Policy per scope type:
 * - `http`: the first route whose pattern and method match runs (`HEAD` is
 *   served by `GET` routes, as in Express). A path that routes know but not
 *   for this method is a `405` with `Allow`; `OPTIONS` on such a path is
 *   answered `200` with `Allow`, as Express answers it. No route at all is a
 *   `404`, so `cascade(router, fromExpress(app))` falls through to Express.
 * - `sse` (the client accepts `text/event-stream`, §6.1): an `sse()` route
 *   for the path runs; without one the request is routed as `http` and
 *   answered with an ordinary response (§6.4).
 * - `websocket`: a `websocket()` route for the path runs; otherwise the
 *   handshake is refused with 404.
 * - `lifespan`: not handled (the router keeps no state), so `mount`/`cascade`
 *   treat it as declined.
 *
 * Handlers may throw: an `HttpError` becomes that response, anything else a
 * logged 500 (`error-response.ts`).
 */
import { UnsupportedScope } from '../protocol/errors.js';
import type {
  App,
  HeaderPair,
  HTTPScope,
  Middleware,
  Receive,
  ReceiveFor,
  SSEScope,
  Scope,
  Send,
  SendFor,
  WebSocketScope,
} from '../protocol/types.js';
import type { BodyReceive } from './body-stream.js';
import { StartTracker, answerError, sendErrorText, type ErrorOptions } from './error-response.js';
import { HttpError, statusText } from './errors.js';
import { compilePattern, routingPath, type ParamsOf, type PatternMatcher, type PatternOptions } from './route-pattern.js';
import { SSEStream } from './sse-stream.js';
import { WebSocketConnection } from './websocket.js';

/** The scope key under which a matched route's parameters travel (for middleware). */
export const PARAMS_KEY = 'toolkit.params';

/** What an HTTP route handler gets. */
export interface HttpContext<P> {
  /** `http`, or `sse` when the client also accepts `text/event-stream` (answer it the same way). */
  scope: HTTPScope | SSEScope;
  receive: BodyReceive;
  send: SendFor<'http'>;
  /** The decoded path parameters. */
  params: P;
}

/** What an `sse()` route handler gets. */
export interface SSEContext<P> {
  scope: SSEScope;
  receive: BodyReceive;
  send: SendFor<'sse'>;
  params: P;
  /** The stream: `await sse.send({ event: 'tick', data })`. Closed for you when the handler returns. */
  sse: SSEStream;
}

/** What a `websocket()` route handler gets. */
export interface WebSocketContext<P> {
  scope: WebSocketScope;
  params: P;
  /** The session: `for await (const message of socket) await socket.send(message)`. Closed for you when the handler returns. */
  socket: WebSocketConnection;
  /**
   * The scope's own `receive`, for waiting on the client and on something
   * else at once (`interleave(receive, subscription)` from `pagi/channels`)
   * after `socket.accept()`. Read messages either through it or through
   * `socket`, not both.
   */
  receive: ReceiveFor<'websocket'>;
}

/** An HTTP route handler: answers through `ctx.send` (the response helpers) or throws an `HttpError`. */
export type HttpHandler<P> = (ctx: HttpContext<P>) => Promise<void> | void;
/** An SSE route handler: writes to `ctx.sse`; returning ends the stream. */
export type SSEHandler<P> = (ctx: SSEContext<P>) => Promise<void> | void;
/** A WebSocket route handler: talks through `ctx.socket`; returning closes it (1000). */
export type WebSocketHandler<P> = (ctx: WebSocketContext<P>) => Promise<void> | void;

/** Options of `router()`. */
export interface RouterOptions extends PatternOptions, ErrorOptions {}

type RouteKind = 'http' | 'sse' | 'websocket';

interface Route {
  kind: RouteKind;
  /** Upper-case method, or `'*'` for `all()` and for SSE/WebSocket routes. */
  method: string;
  path: string;
  match: PatternMatcher;
  /** Runs the route for a matched scope. */
  run: (scope: Scope, receive: Receive, send: Send, params: object) => Promise<void> | void;
}

/** Adds a route for `path` (Express 5 syntax); `handler`'s `params` are typed from the path. Returns the router. */
type Register<H extends 'http' | 'sse' | 'websocket'> = <Path extends string>(
  path: Path,
  handler: H extends 'http' ? HttpHandler<ParamsOf<Path>> : H extends 'sse' ? SSEHandler<ParamsOf<Path>> : WebSocketHandler<ParamsOf<Path>>,
) => Router;

/** A router is a PAGI app with methods to add routes. */
export interface Router extends App {
  /** A GET route; it also answers HEAD (the server drops the body). */
  get: Register<'http'>;
  /** A POST route. */
  post: Register<'http'>;
  /** A PUT route. */
  put: Register<'http'>;
  /** A PATCH route. */
  patch: Register<'http'>;
  /** A DELETE route. */
  delete: Register<'http'>;
  /** Every method. */
  all: Register<'http'>;
  /** A Server-Sent Events stream (any method; EventSource uses GET). */
  sse: Register<'sse'>;
  /** A WebSocket endpoint. */
  websocket: Register<'websocket'>;
  /**
   * Wraps the routes added after this call in PAGI middleware (`(app) => app`),
   * in order (the first is outermost). It runs once a route matched, and
   * sees the parameters under `scope['toolkit.params']`; the handler gets the
   * scope the middleware passed on (e.g. with a `'myapp.user'` key).
   */
  use(...middleware: Middleware[]): Router;
}

/** Builds an empty router. */
export function router(options: RouterOptions = {}): Router {
  const routes: Route[] = [];
  const middleware: Middleware[] = [];

  const dispatch = async function routed(scope: Scope, receive: Receive, send: Send): Promise<void> {
    if (scope.type === 'lifespan') throw new UnsupportedScope(scope.type, 'router');
    const tracker = new StartTracker(send);
    try {
      const outcome = route(routes, scope, receive, tracker.send);
      // No route: nothing was sent, so the answer needs none of answerError's checks.
      if (outcome instanceof NoRoute) return await answerNoRoute(outcome, send, scope, options);
      await outcome;
    } catch (error) {
      await answerError(error, scope, send, tracker, options);
    }
  };

  const add =
    (kind: RouteKind, method: string) =>
    (path: string, handler: (ctx: never) => Promise<void> | void): Router => {
      if (typeof handler !== 'function') throw new TypeError(`router: the handler for '${path}' is not a function`);
      const invoke = handlerInvoker(kind, handler as (ctx: unknown) => Promise<void> | void);
      let run: Route['run'] = invoke;
      if (middleware.length > 0) {
        // Middleware sees (and may replace) the scope, so the parameters travel on it.
        const app = middleware.reduceRight<App>((inner, wrap) => wrap(inner), async (scope, receive, send) => invoke(scope, receive, send, paramsOf(scope)));
        run = (scope, receive, send, params) => app({ ...scope, [PARAMS_KEY]: params } as Scope, receive, send);
      }
      routes.push({ kind, method, path, match: compilePattern(path, options), run });
      return self;
    };

  const self: Router = Object.assign(dispatch, {
    get: add('http', 'GET'),
    post: add('http', 'POST'),
    put: add('http', 'PUT'),
    patch: add('http', 'PATCH'),
    delete: add('http', 'DELETE'),
    all: add('http', '*'),
    sse: add('sse', '*'),
    websocket: add('websocket', '*'),
    use(...wrappers: Middleware[]): Router {
      for (const wrap of wrappers) {
        if (typeof wrap !== 'function') throw new TypeError('router.use: middleware must be a function (app) => app');
        middleware.push(wrap);
      }
      return self;
    },
  }) as Router;
  return self;
}

/** Finds the route for `scope` and runs it, or returns the 400/404/405/406/426 the request earned (never thrown: see `NoRoute`). */
function route(
  routes: readonly Route[],
  scope: HTTPScope | SSEScope | WebSocketScope,
  receive: Receive,
  send: Send,
): Promise<void> | void | NoRoute {
  const path = routingPath(scope);
  // Express cuts the path at a '#', a decoding router would not: one target, one meaning (§3.3).
  if (path.includes('#')) return new NoRoute(400, 'request target contains "#"');
  if (scope.type === 'websocket') {
    for (const r of routes) {
      if (r.kind !== 'websocket') continue;
      const found = r.match(path);
      if (found) return r.run(scope, receive, send, found.params);
    }
    return NOT_FOUND;
  }
  if (scope.type === 'sse') {
    for (const r of routes) {
      if (r.kind !== 'sse') continue;
      const found = r.match(path);
      if (found) return r.run(scope, receive, send, found.params);
    }
  }
  const method = scope.method;
  let allowed: Set<string> | undefined;
  let streamOnly: RouteKind | undefined;
  for (const r of routes) {
    const found = r.match(path);
    if (!found) continue;
    if (r.kind !== 'http') {
      if (streamOnly !== 'websocket') streamOnly = r.kind;
      continue;
    }
    if (r.method === '*' || r.method === method || (method === 'HEAD' && r.method === 'GET')) {
      return r.run(scope, receive, send, found.params);
    }
    (allowed ??= new Set()).add(r.method);
  }
  if (allowed !== undefined) {
    if (allowed.has('GET')) allowed.add('HEAD');
    const allow = [...allowed].sort().join(', ');
    if (method === 'OPTIONS') return answerOptions(send, allow);
    return new NoRoute(405, undefined, [['allow', allow]]);
  }
  // Only SSE/WebSocket routes know this path: say what the client must do differently.
  if (streamOnly === 'websocket') return UPGRADE_REQUIRED;
  if (streamOnly === 'sse') return EVENT_STREAM_ONLY;
  return NOT_FOUND;
}

/**
 * The router's own answer to a request no route takes. Not an `HttpError`:
 * under `cascade` every request that falls through to the app behind lands
 * here, and building an Error (even without its stack) cost more than the
 * rest of the router. A custom `renderError` still gets an `HttpError`.
 */
class NoRoute {
  constructor(
    readonly status: number,
    readonly message?: string,
    readonly headers: HeaderPair[] = [],
  ) {}
}

const NOT_FOUND = new NoRoute(404);
const UPGRADE_REQUIRED = new NoRoute(426, undefined, [['upgrade', 'websocket']]);
const EVENT_STREAM_ONLY = new NoRoute(406, 'this endpoint serves text/event-stream');

/** Renders `answer` as `renderTextError` would render the same `HttpError`. */
function answerNoRoute(answer: NoRoute, send: Send, scope: Scope, options: RouterOptions): Promise<void> {
  if (options.renderError) return options.renderError(new HttpError(answer.status, answer.message, { headers: answer.headers }), send, scope);
  return sendErrorText(send, answer.status, answer.message ?? statusText(answer.status), answer.headers);
}

/** Express's automatic OPTIONS answer, byte for byte. */
async function answerOptions(send: Send, allow: string): Promise<void> {
  await send({
    type: 'http.response.start',
    status: 200,
    headers: [
      ['allow', allow],
      ['content-length', String(Buffer.byteLength(allow))],
      ['content-type', 'text/plain'],
      ['x-content-type-options', 'nosniff'],
    ],
  });
  await send({ type: 'http.response.body', body: allow });
}

function paramsOf(scope: Scope): object {
  return ((scope as unknown as Record<string, unknown>)[PARAMS_KEY] ?? {}) as object;
}

/** Calls a handler with the context of its kind, and performs the terminal act it may have left out. */
function handlerInvoker(kind: RouteKind, handler: (ctx: unknown) => Promise<void> | void): Route['run'] {
  // An HTTP handler's promise goes back as it is: one async frame less per request.
  if (kind === 'http') return (scope, receive, send, params) => handler({ scope, receive, send, params });
  if (kind === 'sse') {
    return async (scope, receive, send, params) => {
      const sse = new SSEStream(scope as SSEScope, send);
      await handler({ scope, receive, send, params, sse });
      // Returning ends the stream (an empty one if the handler sent nothing).
      if (!sse.closed && (scope as SSEScope)['pagi.connection'].is_connected()) await sse.close();
    };
  }
  return async (scope, receive, send, params) => {
    const socket = new WebSocketConnection(scope as WebSocketScope, receive as never, send);
    await handler({ scope, params, socket, receive });
    if (socket.needsClose && (scope as WebSocketScope)['pagi.connection'].is_connected()) await socket.close();
  };
}
