/**
 * Every PAGI scope and event, as discriminated unions on `type` (PROTOCOL.md §4–§9).
 *
 * Keys keep the spec's exact spelling, including the dotted scope keys
 * `'pagi.connection'` and `'pagi.transport'`.
 */
import type { FileHandle } from 'node:fs/promises';

/** Header pairs: lower-case names, latin1 values, duplicates kept in order. */
export type HeaderPair = [name: string, value: string];
export type Headers = HeaderPair[];
/** Read-only view accepted wherever an app hands headers to a server. */
export type HeadersInput = ReadonlyArray<readonly [string, string]>;

/** Sent bodies may be strings (UTF-8) or bytes; received bodies are always bytes. */
export type BodyInput = string | Uint8Array;

/** Versions carried on every connection scope. */
export interface PagiVersions {
  version: string;
  spec_version?: string;
}

/** Versions on the lifespan scope. */
export interface LifespanVersions extends PagiVersions {
  is_worker: boolean;
  worker_num?: number;
}

/** TLS details, present only on TLS connections (§10). */
export interface TLSExtension {
  server_cert: string | null;
  client_cert_chain: string[];
  client_cert_name: string | null;
  client_cert_error: string | null;
  tls_version: number | null;
  cipher_suite: number | null;
}

export interface Extensions {
  fullflush?: Record<string, never>;
  tls?: TLSExtension;
  [name: string]: object | undefined;
}

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

/** `scope['pagi.connection']` (§7). Method names keep the spec's snake_case. */
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

/** `scope['pagi.transport']` (§8), optional. */
export interface TransportState {
  buffered_amount(): number;
  high_water_mark(): number | undefined;
  low_water_mark(): number | undefined;
  on_high_water(cb: () => void): void;
  on_drain(cb: () => void): void;
}

/** Keys shared by the `http`, `sse` and `websocket` scopes. */
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

export interface HTTPScope extends ConnectionScopeBase {
  type: 'http';
  method: string;
  scheme: 'http' | 'https';
}

export interface SSEScope extends ConnectionScopeBase {
  type: 'sse';
  method: string;
  scheme: 'http' | 'https';
}

export interface WebSocketScope extends ConnectionScopeBase {
  type: 'websocket';
  scheme: 'ws' | 'wss';
  subprotocols: string[];
  max_frame_size?: number;
  max_receive_queue?: number;
}

export interface LifespanScope {
  type: 'lifespan';
  pagi: LifespanVersions;
  state: Record<string, unknown>;
  [custom: `${string}.${string}`]: unknown;
}

export type Scope = HTTPScope | SSEScope | WebSocketScope | LifespanScope;
export type ConnectionScope = HTTPScope | SSEScope | WebSocketScope;

// ---------------------------------------------------------------- HTTP events

export interface HTTPRequestEvent {
  type: 'http.request';
  body: Uint8Array;
  more: boolean;
}

export interface HTTPDisconnectEvent {
  type: 'http.disconnect';
}

export interface HTTPResponseStartEvent {
  type: 'http.response.start';
  status: number;
  headers?: HeadersInput;
  trailers?: boolean;
}

export interface HTTPResponseBodyEvent {
  type: 'http.response.body';
  body?: BodyInput;
  file?: string;
  fh?: FileHandle;
  offset?: number;
  length?: number;
  more?: boolean;
}

export interface HTTPResponseTrailersEvent {
  type: 'http.response.trailers';
  headers?: HeadersInput;
}

export interface HTTPFullFlushEvent {
  type: 'http.fullflush';
}

export type HTTPResponseEvent = HTTPResponseStartEvent | HTTPResponseBodyEvent | HTTPResponseTrailersEvent;
export type HTTPReceiveEvent = HTTPRequestEvent | HTTPDisconnectEvent;
export type HTTPSendEvent = HTTPResponseEvent | HTTPFullFlushEvent;

// ----------------------------------------------------------------- SSE events

export interface SSERequestEvent {
  type: 'sse.request';
  body: Uint8Array;
  more: boolean;
}

export interface SSEDisconnectEvent {
  type: 'sse.disconnect';
  reason?: string;
}

export interface SSEStartEvent {
  type: 'sse.start';
  status?: number;
  headers?: HeadersInput;
}

export interface SSESendEvent {
  type: 'sse.send';
  data: string;
  event?: string;
  id?: string;
  retry?: number;
}

export interface SSECommentEvent {
  type: 'sse.comment';
  comment: string;
}

export interface SSEKeepaliveEvent {
  type: 'sse.keepalive';
  interval: number;
  comment?: string;
}

export interface SSECloseEvent {
  type: 'sse.close';
  reason?: string;
}

export type SSEReceiveEvent = SSERequestEvent | SSEDisconnectEvent;
export type SSESendEventUnion =
  | SSEStartEvent
  | SSESendEvent
  | SSECommentEvent
  | SSEKeepaliveEvent
  | SSECloseEvent
  | HTTPFullFlushEvent
  | HTTPResponseEvent;

// ----------------------------------------------------------- WebSocket events

export interface WebSocketConnectEvent {
  type: 'websocket.connect';
}

export type WebSocketReceiveMessageEvent =
  | { type: 'websocket.receive'; text: string; bytes?: undefined }
  | { type: 'websocket.receive'; bytes: Uint8Array; text?: undefined };

export interface WebSocketDisconnectEvent {
  type: 'websocket.disconnect';
  code: number;
  reason: string;
}

export interface WebSocketAcceptEvent {
  type: 'websocket.accept';
  subprotocol?: string;
  headers?: HeadersInput;
}

export type WebSocketSendMessageEvent =
  | { type: 'websocket.send'; text: string; bytes?: undefined }
  | { type: 'websocket.send'; bytes: Uint8Array; text?: undefined };

export interface WebSocketCloseEvent {
  type: 'websocket.close';
  code?: number;
  reason?: string;
}

export interface WebSocketKeepaliveEvent {
  type: 'websocket.keepalive';
  interval: number;
  timeout?: number;
}

export type WebSocketReceiveEvent = WebSocketConnectEvent | WebSocketReceiveMessageEvent | WebSocketDisconnectEvent;
export type WebSocketSendEvent =
  | WebSocketAcceptEvent
  | WebSocketSendMessageEvent
  | WebSocketCloseEvent
  | WebSocketKeepaliveEvent
  | HTTPResponseEvent;

// ------------------------------------------------------------ Lifespan events

export interface LifespanStartupEvent {
  type: 'lifespan.startup';
}
export interface LifespanShutdownEvent {
  type: 'lifespan.shutdown';
}
export interface LifespanStartupCompleteEvent {
  type: 'lifespan.startup.complete';
}
export interface LifespanStartupFailedEvent {
  type: 'lifespan.startup.failed';
  message?: string;
}
export interface LifespanShutdownCompleteEvent {
  type: 'lifespan.shutdown.complete';
}
export interface LifespanShutdownFailedEvent {
  type: 'lifespan.shutdown.failed';
  message?: string;
}

export type LifespanReceiveEvent = LifespanStartupEvent | LifespanShutdownEvent;
export type LifespanSendEvent =
  | LifespanStartupCompleteEvent
  | LifespanStartupFailedEvent
  | LifespanShutdownCompleteEvent
  | LifespanShutdownFailedEvent;

// ------------------------------------------------------------------ unions

export type ReceiveEvent = HTTPReceiveEvent | SSEReceiveEvent | WebSocketReceiveEvent | LifespanReceiveEvent;
export type SendEvent = HTTPSendEvent | SSESendEventUnion | WebSocketSendEvent | LifespanSendEvent;

/** What `receive()` yields and `send()` accepts for each scope type. */
export interface EventMap {
  http: { receive: HTTPReceiveEvent; send: HTTPSendEvent };
  sse: { receive: SSEReceiveEvent; send: SSESendEventUnion };
  websocket: { receive: WebSocketReceiveEvent; send: WebSocketSendEvent };
  lifespan: { receive: LifespanReceiveEvent; send: LifespanSendEvent };
}

export type ScopeType = Scope['type'];
export type ReceiveFor<T extends ScopeType> = () => Promise<EventMap[T]['receive']>;
export type SendFor<T extends ScopeType> = (event: EventMap[T]['send']) => Promise<void>;

export type Receive = () => Promise<ReceiveEvent>;
export type Send = (event: SendEvent) => Promise<void>;

/**
 * A PAGI application: `(scope, receive, send) => Promise<void>`.
 *
 * TypeScript cannot narrow one parameter through a property of another, so
 * `send` accepts every event here; call `narrow(scope, receive, send)` to get
 * a context whose `type` narrows `scope`, `receive` and `send` together, or
 * write an `AppFor<'sse'>` for one scope type.
 */
export type App = (scope: Scope, receive: Receive, send: Send) => Promise<void>;

/** An application written for one scope type. */
export type AppFor<T extends ScopeType> = (
  scope: Extract<Scope, { type: T }>,
  receive: ReceiveFor<T>,
  send: SendFor<T>,
) => Promise<void>;

/** A middleware wraps one app into another. */
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
