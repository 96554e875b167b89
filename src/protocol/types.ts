/**
 * Every PAGI scope and event, as discriminated unions on `type` (PROTOCOL.md §4–§9).
 * The users' reference is docs/protocol.md; each type's TSDoc links its section.
 *
 * Keys keep the spec's exact spelling, including the dotted scope keys
 * `'pagi.connection'` and `'pagi.transport'`.
 */
import type { FileHandle } from 'node:fs/promises';

/**
 * One header: `[name, value]`, the name lower-case, the value latin1 (one
 * character per byte). See docs/protocol.md#headers.
 */
export type HeaderPair = [name: string, value: string];
/** Request headers in wire order, duplicates as separate pairs, one merged `cookie`. See docs/protocol.md#headers. */
export type Headers = HeaderPair[];
/** Headers an app hands to a server (read-only, never mutated). See docs/protocol.md#headers. */
export type HeadersInput = ReadonlyArray<readonly [string, string]>;

/** A sent body: a string (sent as UTF-8) or bytes. Received bodies are always `Uint8Array`. See docs/protocol.md#bytes-and-strings. */
export type BodyInput = string | Uint8Array;

/** `scope.pagi` on `http`, `sse` and `websocket` scopes: `{ version: '0.5', spec_version: '0.6' }`. See docs/protocol.md#scope-http. */
export interface PagiVersions {
  version: string;
  spec_version?: string;
}

/** `scope.pagi` on the lifespan scope: versions, and whether this process is a cluster worker. See docs/protocol.md#scope-lifespan. */
export interface LifespanVersions extends PagiVersions {
  is_worker: boolean;
  worker_num?: number;
}

/**
 * `scope.extensions.tls`, present only on TLS connections: certificates as
 * PEM, the client certificate's subject, TLS version and cipher suite as wire
 * numbers; `null` when unknown. See docs/protocol.md#extensions.
 */
export interface TLSExtension {
  server_cert: string | null;
  client_cert_chain: string[];
  client_cert_name: string | null;
  client_cert_error: string | null;
  tls_version: number | null;
  cipher_suite: number | null;
}

/**
 * `scope.extensions`: a key present means the server offers that capability
 * on this scope (`fullflush`, `interim`, `tls`, `request_target`, `request_trailers`, `header_case`,
 * `reason_phrase`, `final_informational`, `late_trailers`). See docs/protocol.md#extensions.
 */
export interface Extensions {
  fullflush?: Record<string, never>;
  /** `http.response.interim` may be sent before `http.response.start` (1xx responses such as 103 Early Hints). */
  interim?: Record<string, never>;
  tls?: TLSExtension;
  /** The request target exactly as the client sent it. See docs/protocol.md#extensions. */
  request_target?: RequestTargetExtension;
  /** The last `http.request` event carries the request's trailers. See docs/protocol.md#extensions. */
  request_trailers?: Record<string, never>;
  /** The request head as the client spelled it; a response start may spell its own names (`header_names`). See docs/protocol.md#extensions. */
  header_case?: HeaderCaseExtension;
  /** `http.response.start` may carry `reason`, the status line's reason phrase (HTTP/1.x). See docs/protocol.md#extensions. */
  reason_phrase?: Readonly<Record<string, never>>;
  /** `http.response.start` may carry a final 1xx status other than 101 (HTTP/1.1). See docs/protocol.md#extensions. */
  final_informational?: Readonly<Record<string, never>>;
  /** `http.response.trailers` may end a streamed body whose start promised none. See docs/protocol.md#extensions. */
  late_trailers?: Readonly<Record<string, never>>;
  [name: string]: object | undefined;
}

/** `scope.extensions.request_target`. */
export interface RequestTargetExtension {
  /**
   * The request-target of the request line (HTTP/2: `:path`) as received,
   * latin1: absolute-form (`http://host/p`) and a bare `?` (`/p?`) included.
   * It describes the target the server split into `raw_path` and
   * `query_string`; those stay authoritative.
   */
  readonly target: string;
}

/** `scope.extensions.header_case`. */
export interface HeaderCaseExtension {
  /**
   * The request headers as received: a flat `[name, value, name, value, ...]`
   * list, names in the client's case, repeated `Cookie` headers separate (Node's
   * `req.rawHeaders`; shared, never mutate it).
   */
  readonly raw_headers: readonly string[];
}

/** The reason tokens of an abnormal end; servers' own start with `x-`. See docs/protocol.md#reasons. */
export type DisconnectReason =
  | 'client_closed'
  | 'client_timeout'
  | 'idle_timeout'
  | 'keepalive_timeout'
  | 'close_timeout'
  | 'close_incomplete'
  | 'write_timeout'
  | 'write_error'
  | 'read_error'
  | 'protocol_error'
  | 'server_shutdown'
  | 'server_error'
  | 'body_too_large'
  | 'queue_overflow'
  | 'app_abort'
  | `x-${string}`;

/**
 * `scope['pagi.connection']`: how this scope ends (clean or abnormal, with a
 * reason), as facts, callbacks and promises. Method names keep the spec's
 * snake_case. See docs/protocol.md#pagiconnection and docs/protocol.md#after-a-disconnect.
 */
export interface ConnectionState {
  is_connected(): boolean;
  disconnect_reason(): string | undefined;
  disconnect_detail(): string | undefined;
  close_code(): number | undefined;
  close_reason(): string | undefined;
  response_started(): boolean;
  response_complete(): boolean;
  on_disconnect(cb: (reason: string, detail: string | undefined) => void): void;
  on_complete(cb: () => void): void;
  on_end(cb: (reason: string | undefined, detail: string | undefined) => void): void;
  disconnect_future(): Promise<string>;
  end_future(): Promise<string | undefined>;
  abort(detail?: string): void;
}

/** `scope['pagi.transport']` (optional): a read-only view of the outbound buffer. See docs/protocol.md#pagitransport. */
export interface TransportState {
  buffered_amount(): number;
  high_water_mark(): number | undefined;
  low_water_mark(): number | undefined;
  on_high_water(cb: () => void): void;
  on_drain(cb: () => void): void;
}

/** Keys shared by the `http`, `sse` and `websocket` scopes. See docs/protocol.md#scope-http and docs/protocol.md#common-data. */
export interface ConnectionScopeBase {
  pagi: PagiVersions;
  http_version: '1.0' | '1.1' | '2';
  path: string;
  raw_path: string;
  query_string: string;
  root_path: string;
  headers: Headers;
  client?: [host: string, port: number];
  server?: [host: string, port: number | null];
  state: Record<string, unknown>;
  extensions: Extensions;
  'pagi.connection': ConnectionState;
  'pagi.transport'?: TransportState;
  /** Custom keys must be dotted (`'myapp.user'`). */
  [custom: `${string}.${string}`]: unknown;
}

/**
 * One HTTP request. Read the body with `receive()` (`http.request` events),
 * answer with `http.response.start` then `http.response.body`. See docs/protocol.md#scope-http.
 */
export interface HTTPScope extends ConnectionScopeBase {
  type: 'http';
  method: string;
  scheme: 'http' | 'https';
}

/**
 * A request whose `Accept` lists `text/event-stream`: answer with `sse.start`,
 * `sse.send`…, end with `sse.close` — or refuse with an ordinary HTTP
 * response. See docs/protocol.md#scope-sse.
 */
export interface SSEScope extends ConnectionScopeBase {
  type: 'sse';
  method: string;
  scheme: 'http' | 'https';
}

/**
 * One WebSocket session from the handshake on: `websocket.accept` (or a
 * refusal), then messages, ended by `websocket.close` or
 * `websocket.disconnect`. See docs/protocol.md#scope-websocket.
 */
export interface WebSocketScope extends ConnectionScopeBase {
  type: 'websocket';
  scheme: 'ws' | 'wss';
  subprotocols: string[];
  max_frame_size?: number;
  max_receive_queue?: number;
}

/**
 * The process's lifetime: `lifespan.startup`, then `lifespan.shutdown`;
 * whatever startup puts in `state` is copied into every later scope. See
 * docs/protocol.md#scope-lifespan.
 */
export interface LifespanScope {
  type: 'lifespan';
  pagi: LifespanVersions;
  state: Record<string, unknown>;
  [custom: `${string}.${string}`]: unknown;
}

/** Every scope, discriminated on `type`. See docs/protocol.md#the-shape-of-an-app. */
export type Scope = HTTPScope | SSEScope | WebSocketScope | LifespanScope;
/** The scopes with a client connection (all but `lifespan`). */
export type ConnectionScope = HTTPScope | SSEScope | WebSocketScope;

// ---------------------------------------------------------------- HTTP events

/**
 * Received: one fragment of the request body; the last has `more: false`
 * (a bodiless request gives one empty event). See docs/protocol.md#httprequest.
 */
export interface HTTPRequestEvent {
  type: 'http.request';
  body: Uint8Array;
  more: boolean;
  /**
   * Only on the last event (`more: false`) of a scope that advertises
   * `request_trailers`, and only when the request had trailer fields: the
   * pairs in wire order, names lower-case, values latin1.
   */
  trailers?: HeaderPair[];
  /** With `trailers`, when the scope also advertises `header_case`: the trailer fields as received (flat, client's case). */
  raw_trailers?: readonly string[];
}

/**
 * Received: the scope is over (the client left, or the body and the response
 * are both complete). Repeats on every later `receive()`. See docs/protocol.md#httpdisconnect.
 */
export interface HTTPDisconnectEvent {
  type: 'http.disconnect';
}

/**
 * Sent: status (200–999, required; 100 and 102–199 too under
 * `scope.extensions.final_informational`) and headers; `trailers: true`
 * promises an `http.response.trailers` event; `reason` (only under
 * `scope.extensions.reason_phrase`) replaces the standard reason phrase.
 * See docs/protocol.md#httpresponsestart.
 */
export interface HTTPResponseStartEvent {
  type: 'http.response.start';
  status: number;
  headers?: HeadersInput;
  trailers?: boolean;
  /** The status line's reason phrase (HTTP/1.x): tab, printable ASCII and U+0080–U+00FF only. */
  reason?: string;
  /**
   * Under `scope.extensions.header_case`: spellings for header names
   * (`['X-Request-ID']`). Each header whose name one of them spells, ignoring
   * case, goes out spelled so; the others (and all without it) lower-case.
   */
  header_names?: string[];
}

/**
 * Sent: body bytes inline (`body`) or from a file (`file`, `fh` with
 * `offset`/`length`). `more` defaults to **false**: omit it only on the last
 * event. See docs/protocol.md#httpresponsebody.
 */
export interface HTTPResponseBodyEvent {
  type: 'http.response.body';
  body?: BodyInput;
  file?: string;
  fh?: FileHandle;
  offset?: number;
  length?: number;
  more?: boolean;
}

/**
 * Sent: the trailers promised by `trailers: true` (or, under
 * `scope.extensions.late_trailers`, after a streamed body without a
 * `content-length`); ends the response. See docs/protocol.md#httpresponsetrailers.
 */
export interface HTTPResponseTrailersEvent {
  type: 'http.response.trailers';
  headers?: HeadersInput;
}

/** Sent: push buffered bytes out now; only when `scope.extensions.fullflush` exists. See docs/protocol.md#httpfullflush. */
export interface HTTPFullFlushEvent {
  type: 'http.fullflush';
}

/**
 * Sent before `http.response.start`, any number of times: an interim (1xx)
 * response, e.g. `103` Early Hints with `link` preload headers. `status` is
 * 100–199 except 101; only when `scope.extensions.interim` exists.
 * See docs/protocol.md#httpresponseinterim.
 */
export interface HTTPResponseInterimEvent {
  type: 'http.response.interim';
  status: number;
  headers?: HeadersInput;
}

/** The events of an ordinary HTTP response (also the refusal of an SSE stream or a WebSocket handshake). See docs/protocol.md#sending-the-response. */
export type HTTPResponseEvent = HTTPResponseStartEvent | HTTPResponseBodyEvent | HTTPResponseTrailersEvent;
/** What `receive()` yields on an `http` scope. See docs/protocol.md#receiving-the-request-body. */
export type HTTPReceiveEvent = HTTPRequestEvent | HTTPDisconnectEvent;
/** What `send()` accepts on an `http` scope. See docs/protocol.md#sending-the-response. */
export type HTTPSendEvent = HTTPResponseEvent | HTTPResponseInterimEvent | HTTPFullFlushEvent;

// ----------------------------------------------------------------- SSE events

/** Received on an `sse` scope: the request body, exactly like `http.request`. See docs/protocol.md#sserequest. */
export interface SSERequestEvent {
  type: 'sse.request';
  body: Uint8Array;
  more: boolean;
}

/**
 * Received: the stream is over; `reason` is set when it ended abnormally
 * (absent after your own `sse.close`). See docs/protocol.md#ssedisconnect.
 */
export interface SSEDisconnectEvent {
  type: 'sse.disconnect';
  reason?: string;
}

/** Sent: start the event stream (`status` 200 by default); the head is flushed at once. See docs/protocol.md#ssestart. */
export interface SSEStartEvent {
  type: 'sse.start';
  status?: number;
  headers?: HeadersInput;
}

/** Sent: one event (`data` required; `event`, `id`, `retry` in ms optional). See docs/protocol.md#ssesend. */
export interface SSESendEvent {
  type: 'sse.send';
  data: string;
  event?: string;
  id?: string;
  retry?: number;
}

/** Sent: a comment line (`:text`), ignored by clients. See docs/protocol.md#ssecomment. */
export interface SSECommentEvent {
  type: 'sse.comment';
  comment: string;
}

/** Sent: write a comment every `interval` seconds (`0` stops). See docs/protocol.md#ssekeepalive. */
export interface SSEKeepaliveEvent {
  type: 'sse.keepalive';
  interval: number;
  comment?: string;
}

/**
 * Sent: end the stream cleanly. Returning after `sse.start` without it is an
 * incomplete response. See docs/protocol.md#sseclose.
 */
export interface SSECloseEvent {
  type: 'sse.close';
  reason?: string;
}

/** What `receive()` yields on an `sse` scope. See docs/protocol.md#scope-sse. */
export type SSEReceiveEvent = SSERequestEvent | SSEDisconnectEvent;
/** What `send()` accepts on an `sse` scope: stream events, or a refusal through `http.response.*`. See docs/protocol.md#scope-sse. */
export type SSESendEventUnion =
  | SSEStartEvent
  | SSESendEvent
  | SSECommentEvent
  | SSEKeepaliveEvent
  | SSECloseEvent
  | HTTPFullFlushEvent
  | HTTPResponseEvent;

// ----------------------------------------------------------- WebSocket events

/** Received first on a `websocket` scope: the handshake waits for your answer. See docs/protocol.md#websocketconnect. */
export interface WebSocketConnectEvent {
  type: 'websocket.connect';
}

/** Received: one whole message, `text` for a text frame or `bytes` for a binary one. See docs/protocol.md#websocketreceive. */
export type WebSocketReceiveMessageEvent =
  | { type: 'websocket.receive'; text: string; bytes?: undefined }
  | { type: 'websocket.receive'; bytes: Uint8Array; text?: undefined };

/** Received: the session is over, with the close `code` and `reason`. See docs/protocol.md#websocketdisconnect. */
export interface WebSocketDisconnectEvent {
  type: 'websocket.disconnect';
  code: number;
  reason: string;
}

/** Sent: complete the handshake, optionally choosing one of `scope.subprotocols`. See docs/protocol.md#websocketaccept. */
export interface WebSocketAcceptEvent {
  type: 'websocket.accept';
  subprotocol?: string;
  headers?: HeadersInput;
}

/** Sent: one message, `text` or `bytes`. See docs/protocol.md#websocketsend. */
export type WebSocketSendMessageEvent =
  | { type: 'websocket.send'; text: string; bytes?: undefined }
  | { type: 'websocket.send'; bytes: Uint8Array; text?: undefined };

/**
 * Sent: start the closing handshake (`code` 1000 by default). Before
 * `websocket.accept` it refuses with 403. See docs/protocol.md#websocketclose.
 */
export interface WebSocketCloseEvent {
  type: 'websocket.close';
  code?: number;
  reason?: string;
}

/** Sent: ping every `interval` seconds; with `timeout`, a missing pong ends the session. See docs/protocol.md#websocketkeepalive. */
export interface WebSocketKeepaliveEvent {
  type: 'websocket.keepalive';
  interval: number;
  timeout?: number;
}

/** What `receive()` yields on a `websocket` scope. See docs/protocol.md#scope-websocket. */
export type WebSocketReceiveEvent = WebSocketConnectEvent | WebSocketReceiveMessageEvent | WebSocketDisconnectEvent;
/** What `send()` accepts on a `websocket` scope (a refusal uses `http.response.*`). See docs/protocol.md#scope-websocket. */
export type WebSocketSendEvent =
  | WebSocketAcceptEvent
  | WebSocketSendMessageEvent
  | WebSocketCloseEvent
  | WebSocketKeepaliveEvent
  | HTTPResponseEvent;

// ------------------------------------------------------------ Lifespan events

/** Received: the server is starting; answer before it serves. See docs/protocol.md#lifespanstartup. */
export interface LifespanStartupEvent {
  type: 'lifespan.startup';
}
/** Received: the server stopped accepting and drained; clean up and answer. See docs/protocol.md#lifespanshutdown. */
export interface LifespanShutdownEvent {
  type: 'lifespan.shutdown';
}
/** Sent: startup done, the server starts serving. See docs/protocol.md#lifespanstartupcomplete. */
export interface LifespanStartupCompleteEvent {
  type: 'lifespan.startup.complete';
}
/** Sent: startup failed; the server logs `message` and exits non-zero. See docs/protocol.md#lifespanstartupfailed. */
export interface LifespanStartupFailedEvent {
  type: 'lifespan.startup.failed';
  message?: string;
}
/** Sent: cleanup done. See docs/protocol.md#lifespanshutdowncomplete. */
export interface LifespanShutdownCompleteEvent {
  type: 'lifespan.shutdown.complete';
}
/** Sent: cleanup failed; logged as a warning. See docs/protocol.md#lifespanshutdownfailed. */
export interface LifespanShutdownFailedEvent {
  type: 'lifespan.shutdown.failed';
  message?: string;
}

/** What `receive()` yields on the lifespan scope. See docs/protocol.md#scope-lifespan. */
export type LifespanReceiveEvent = LifespanStartupEvent | LifespanShutdownEvent;
/** What `send()` accepts on the lifespan scope. See docs/protocol.md#scope-lifespan. */
export type LifespanSendEvent =
  | LifespanStartupCompleteEvent
  | LifespanStartupFailedEvent
  | LifespanShutdownCompleteEvent
  | LifespanShutdownFailedEvent;

// ------------------------------------------------------------------ unions

/** Every event `receive()` can yield. */
export type ReceiveEvent = HTTPReceiveEvent | SSEReceiveEvent | WebSocketReceiveEvent | LifespanReceiveEvent;
/** Every event `send()` accepts (the server checks it against the scope's type and state). */
export type SendEvent = HTTPSendEvent | SSESendEventUnion | WebSocketSendEvent | LifespanSendEvent;

/** What `receive()` yields and `send()` accepts for each scope type. */
export interface EventMap {
  http: { receive: HTTPReceiveEvent; send: HTTPSendEvent };
  sse: { receive: SSEReceiveEvent; send: SSESendEventUnion };
  websocket: { receive: WebSocketReceiveEvent; send: WebSocketSendEvent };
  lifespan: { receive: LifespanReceiveEvent; send: LifespanSendEvent };
}

/** `'http' | 'sse' | 'websocket' | 'lifespan'`. */
export type ScopeType = Scope['type'];
/** The `receive` of one scope type. */
export type ReceiveFor<T extends ScopeType> = () => Promise<EventMap[T]['receive']>;
/** The `send` of one scope type. */
export type SendFor<T extends ScopeType> = (event: EventMap[T]['send']) => Promise<void>;

/** `receive()`: the next event from the client; never rejects because the client left. See docs/protocol.md#the-shape-of-an-app. */
export type Receive = () => Promise<ReceiveEvent>;
/** `send(event)`: resolves once Node accepted the bytes; pending is backpressure. See docs/protocol.md#the-shape-of-an-app. */
export type Send = (event: SendEvent) => Promise<void>;

/**
 * A PAGI application: `(scope, receive, send) => Promise<void>`.
 *
 * TypeScript cannot narrow one parameter through a property of another, so
 * `send` accepts every event here; call `narrow(scope, receive, send)` to get
 * a context whose `type` narrows `scope`, `receive` and `send` together, or
 * write an `AppFor<'sse'>` for one scope type. See docs/protocol.md#the-shape-of-an-app.
 */
export type App = (scope: Scope, receive: Receive, send: Send) => Promise<void>;

/** An application written for one scope type. */
export type AppFor<T extends ScopeType> = (
  scope: Extract<Scope, { type: T }>,
  receive: ReceiveFor<T>,
  send: SendFor<T>,
) => Promise<void>;

/** A middleware wraps one app into another. See docs/protocol.md#middleware-and-intermediaries. */
export type Middleware = (app: App) => App;

/** One scope with the receive and send that belong to it, discriminated on `type`. */
export type NarrowedContext = {
  [T in ScopeType]: { type: T; scope: Extract<Scope, { type: T }>; receive: ReceiveFor<T>; send: SendFor<T> };
}[ScopeType];

/**
 * Bundles an app's arguments so that checking `ctx.type === 'sse'` narrows
 * `ctx.send` to the SSE events. Free at run time: the functions are the same.
 */
export function narrow(scope: Scope, receive: Receive, send: Send): NarrowedContext {
  return { type: scope.type, scope, receive, send } as NarrowedContext;
}
