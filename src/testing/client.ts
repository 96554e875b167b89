/**
 * `TestClient`: drive any PAGI app in-process, no sockets (PROTOCOL.md §14.2,
 * with the port's differences: `receive` stays pending after the body like a
 * real server, app exceptions surface as rejections by default, and every
 * event the app sends is checked by the protocol state machines).
 *
 * Scope classification follows a real server: a request whose `Accept` lists
 * `text/event-stream` gets an `sse` scope (§6.1), everything else `http`.
 */
import type { App, Extensions, HTTPScope, SSEScope, WebSocketScope } from '../protocol/types.js';
import { CookieJar } from './cookie-jar.js';
import { SSERefused } from './errors.js';
import { runHttpExchange, type RequestBody } from './http-exchange.js';
import { startLifespan, type LifespanHandle } from './lifespan.js';
import type { TestResponse } from './response.js';
import { decodePath, encodePath } from '../protocol/paths.js';
import { acceptsEventStream, buildHeaders, buildRawHeaders, splitTarget, subprotocolsFrom, type HeadersInit, type QueryInit } from './scope.js';
import { SSEStream } from './sse-stream.js';
import { openWebSocket, type WebSocketSession } from './websocket-session.js';

export interface TestClientOptions {
  /** Headers sent with every request (per-request headers replace them by name). Default `host: testserver`. */
  headers?: HeadersInit;
  /** `scope.client`. Default `['127.0.0.1', 12345]`. */
  client?: [host: string, port: number];
  /** `scope.server`. Default `['testserver', 80]`. */
  server?: [host: string, port: number | null];
  /** Default `'http'` (`'ws'` for WebSockets); `'https'` gives `'wss'`. */
  scheme?: 'http' | 'https';
  /** Default `'1.1'`. */
  httpVersion?: '1.0' | '1.1' | '2';
  /**
   * `scope.extensions`. Default `{ interim: {}, request_trailers: {},
   * reason_phrase: {}, final_informational: {}, late_trailers: {} }` plus, on
   * each `http`/`sse` scope, `request_target` with the target as a server
   * would have received it and `header_case` with the headers as the test
   * spelled them (interim responses are recorded in `response.events`, a
   * reason phrase in `response.reason`, response header spellings in
   * `response.rawHeaders`).
   */
  extensions?: Extensions;
  /**
   * `scope.root_path`, as if the app were served below a prefix (a server's
   * root path). Default `''`. Targets are given below it; `raw_path` starts
   * with its encoded spelling, as a server builds it.
   */
  rootPath?: string;
  /**
   * `true` (default): an app that throws (or returns) before answering makes
   * the request reject with that error. `false`: the client sees the 500 a
   * server would send.
   */
  raiseAppExceptions?: boolean;
  /**
   * Keep cookies: remember `set-cookie` answers and send them back, like a
   * browser (see `client.cookies`). Default `false`.
   */
  cookies?: boolean;
  /** Deadline of every wait (response start, body, next event, lifespan answer), in ms. Default 5000; 0 = none. */
  timeoutMs?: number;
  /**
   * Told when a `send()` the app did not await rejects (PROTOCOL.md §1
   * deviation 9: a server logs it and keeps running), with the message a
   * server would log (event type, request, "missing await?") and the
   * rejection. Default: a process warning (`PagiWarning`, code
   * `PAGI_UNAWAITED_SEND`), visible in the test output without an unhandled
   * rejection failing the run. Pass a function to collect them or to throw
   * from an `afterEach`.
   */
  onUnawaitedSend?: (message: string, error: unknown) => void;
}

export interface RequestInit {
  headers?: HeadersInit;
  /** A complete body, or an async iterable delivered chunk by chunk (`more: true`). */
  body?: string | Uint8Array | AsyncIterable<Uint8Array | string>;
  /** Sugar: JSON body with `content-type: application/json`. */
  json?: unknown;
  /** Sugar: urlencoded form body. */
  form?: Readonly<Record<string, string>>;
  /** Appended to the target's query string. */
  query?: QueryInit;
  /** Aborting simulates the client leaving (`client_closed`). */
  signal?: AbortSignal;
  /** Request trailers, on the last `http.request` event when the scope advertises `request_trailers`. */
  trailers?: HeadersInit;
}

export interface WebSocketInit {
  headers?: HeadersInit;
  subprotocols?: readonly string[];
  query?: QueryInit;
}

const DEFAULTS = { host: 'testserver' } as const;

export class TestClient {
  private readonly config: TestClientOptions;
  private lifespanState: Record<string, unknown> = {};
  /** The cookie jar (used when the `cookies` option is on). */
  readonly cookies = new CookieJar();

  constructor(
    private readonly app: App,
    options: TestClientOptions = {},
  ) {
    this.config = options;
  }

  /** The lifespan state later scopes copy (`{}` before `lifespan()`). */
  get state(): Record<string, unknown> {
    return this.lifespanState;
  }

  /** Sends one request; resolves when the app starts its response. */
  request(method: string, target: string, init: RequestInit = {}): Promise<TestResponse> {
    const { body, headers } = requestBody(init);
    const jar = this.jarHeader();
    const pairs = buildHeaders(DEFAULTS, this.config.headers, jar, headers, init.headers);
    const { raw_path, query_string } = splitTarget(target, init.query);
    const scheme = this.config.scheme ?? 'http';
    const scope: Omit<HTTPScope, 'pagi.connection'> | Omit<SSEScope, 'pagi.connection'> = {
      type: acceptsEventStream(pairs) ? 'sse' : 'http',
      ...this.common(raw_path, query_string, pairs),
      method: method.toUpperCase(),
      scheme,
    };
    if (this.config.extensions === undefined) {
      // What a server received: the full raw path, and a bare `?` kept.
      const bare = query_string === '' && init.query === undefined && target.includes('?');
      const query = query_string !== '' ? `?${query_string}` : bare ? '?' : '';
      const raw_headers = buildRawHeaders(DEFAULTS, this.config.headers, jar, headers, init.headers);
      scope.extensions = { ...scope.extensions, request_target: { target: scope.raw_path + query }, header_case: { raw_headers } };
    }
    const trailers = init.trailers === undefined || scope.extensions.request_trailers === undefined ? undefined : buildHeaders(init.trailers);
    const response = runHttpExchange({
      app: this.app,
      scope,
      body,
      trailers,
      raiseAppExceptions: this.config.raiseAppExceptions ?? true,
      timeoutMs: this.timeoutMs,
      signal: init.signal,
      onUnawaitedSend: this.onUnawaitedSend,
    });
    if (!this.config.cookies) return response;
    return response.then((res) => {
      this.cookies.learn(res.headers.pairs);
      return res;
    });
  }

  get(target: string, init?: RequestInit): Promise<TestResponse> {
    return this.request('GET', target, init);
  }
  head(target: string, init?: RequestInit): Promise<TestResponse> {
    return this.request('HEAD', target, init);
  }
  post(target: string, init?: RequestInit): Promise<TestResponse> {
    return this.request('POST', target, init);
  }
  put(target: string, init?: RequestInit): Promise<TestResponse> {
    return this.request('PUT', target, init);
  }
  patch(target: string, init?: RequestInit): Promise<TestResponse> {
    return this.request('PATCH', target, init);
  }
  delete(target: string, init?: RequestInit): Promise<TestResponse> {
    return this.request('DELETE', target, init);
  }
  options(target: string, init?: RequestInit): Promise<TestResponse> {
    return this.request('OPTIONS', target, init);
  }

  /**
   * Opens an event stream (`Accept: text/event-stream`, GET unless `method`
   * says otherwise). Rejects with `SSERefused` when the app answers with an
   * ordinary HTTP response instead of `sse.start` (use `request()` to inspect one).
   */
  async sse(target: string, init: RequestInit & { method?: string; lastEventId?: string } = {}): Promise<SSEStream> {
    const headers = buildHeaders({ accept: 'text/event-stream' }, init.lastEventId === undefined ? undefined : { 'last-event-id': init.lastEventId }, init.headers);
    const response = await this.request(init.method ?? 'GET', target, { ...init, headers });
    if (!response.events.some((e) => e.type === 'sse.start')) {
      response.disconnect();
      throw new SSERefused(response.status);
    }
    return new SSEStream(response);
  }

  /** Opens a WebSocket; rejects with `WebSocketDenied` when the app refuses. */
  websocket(target: string, init: WebSocketInit = {}): Promise<WebSocketSession> {
    const { raw_path, query_string } = splitTarget(target, init.query);
    const handshake = buildHeaders(
      { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      init.subprotocols?.length ? { 'sec-websocket-protocol': init.subprotocols.join(', ') } : undefined,
    );
    const pairs = buildHeaders(DEFAULTS, this.config.headers, this.jarHeader(), handshake, init.headers);
    const scope: Omit<WebSocketScope, 'pagi.connection'> = {
      type: 'websocket',
      ...this.common(raw_path, query_string, pairs),
      scheme: this.config.scheme === 'https' ? 'wss' : 'ws',
      subprotocols: subprotocolsFrom(pairs),
    };
    return openWebSocket({
      app: this.app,
      scope,
      raiseAppExceptions: this.config.raiseAppExceptions ?? true,
      timeoutMs: this.timeoutMs,
      onUnawaitedSend: this.onUnawaitedSend,
    });
  }

  /**
   * Runs lifespan startup; resolves once the app answered `complete`. Rejects
   * with `LifespanStartupFailed` on `startup.failed`, `LifespanUnsupported` when
   * the app returns or throws without answering. Later scopes get a copy of `state`.
   */
  async lifespan(): Promise<LifespanHandle> {
    const state: Record<string, unknown> = {};
    const handle = await startLifespan(this.app, state, this.timeoutMs, this.onUnawaitedSend);
    this.lifespanState = state;
    return handle;
  }

  private jarHeader(): Record<string, string> | undefined {
    const cookie = this.config.cookies ? this.cookies.header() : undefined;
    return cookie === undefined ? undefined : { cookie };
  }

  private get onUnawaitedSend(): (message: string, error: unknown) => void {
    return this.config.onUnawaitedSend ?? warnUnawaitedSend;
  }

  private get timeoutMs(): number {
    return this.config.timeoutMs ?? 5000;
  }

  private common(raw_path: string, query_string: string, headers: ReturnType<typeof buildHeaders>) {
    const client = this.config.client ?? ['127.0.0.1', 12345];
    return {
      pagi: { version: '0.5', spec_version: '0.6' },
      http_version: this.config.httpVersion ?? '1.1',
      path: raw_path === '*' ? '*' : decodePath(raw_path),
      // As a server with a root path builds it: `raw_path` is the full path (§3.3).
      raw_path: this.config.rootPath ? encodePath(this.config.rootPath) + raw_path : raw_path,
      query_string,
      root_path: this.config.rootPath ?? '',
      headers,
      client: [client[0], client[1]] as [string, number],
      server: this.config.server ?? (['testserver', 80] as [string, number]),
      // A fresh top-level copy per scope (§9.3).
      state: { ...this.lifespanState },
      extensions: this.config.extensions ?? defaultExtensions(),
    } as const;
  }
}

/** The extensions a test scope gets by default: those a serve()d HTTP/1.1 request has, minus transport facts. */
function defaultExtensions(): Extensions {
  return { interim: {}, request_trailers: {}, reason_phrase: {}, final_informational: {}, late_trailers: {} };
}

function warnUnawaitedSend(message: string, error: unknown): void {
  const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.emitWarning(`${message}: ${why}`, { type: 'PagiWarning', code: 'PAGI_UNAWAITED_SEND' });
}

/** The body to feed and the headers that describe it. */
function requestBody(init: RequestInit): { body: RequestBody | undefined; headers: Record<string, string> } {
  if (init.json !== undefined) {
    const bytes = Buffer.from(JSON.stringify(init.json));
    return { body: bytes, headers: { 'content-type': 'application/json', 'content-length': String(bytes.length) } };
  }
  if (init.form !== undefined) {
    const bytes = Buffer.from(new URLSearchParams(init.form).toString());
    return {
      body: bytes,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(bytes.length) },
    };
  }
  const body = init.body;
  if (body === undefined) return { body: undefined, headers: {} };
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    return { body: bytes, headers: { 'content-length': String(bytes.length) } };
  }
  return { body, headers: { 'transfer-encoding': 'chunked' } };
}
