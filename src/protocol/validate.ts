/**
 * The send-side state machines (PROTOCOL.md §4.4, §5.4, §6.5, §9.2), one per
 * protocol, shared by every component that implements `send`.
 *
 * `check(event)` validates an event against the current state and returns a
 * normalised copy plus the state it leads to, without changing anything: a
 * rejected send must not mutate (§2.3). `commit(step)` applies the step once
 * the transport accepted it.
 */
import type { FileHandle } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { InvalidEvent, OutOfOrder, describeType } from './errors.js';
import { checkFraming, validateHeaders } from './headers.js';
import type { HeaderPair, Scope } from './types.js';
import { advertises, checkFinalInformational, checkLateTrailers, checkReason, spellHeaderNames } from './response-extensions.js';

export type NormalizedSendEvent =
  | {
      type: 'http.response.start';
      status: number;
      headers: HeaderPair[];
      trailers: boolean;
      reason: string | undefined;
      /** `header_case`: the wire spelling of each of `headers`' names, by index. */
      header_names: string[] | undefined;
    }
  | { type: 'http.response.body'; kind: 'inline'; body: Uint8Array; more: boolean }
  | { type: 'http.response.body'; kind: 'file'; file: string; offset: number; length: number | undefined }
  | { type: 'http.response.body'; kind: 'fh'; fh: FileHandle; offset: number; length: number | undefined }
  | { type: 'http.response.trailers'; headers: HeaderPair[] }
  | { type: 'http.response.interim'; status: number; headers: HeaderPair[] }
  | { type: 'http.fullflush' }
  | { type: 'sse.start'; status: number; headers: HeaderPair[] }
  | { type: 'sse.send'; data: string; event: string | undefined; id: string | undefined; retry: number | undefined }
  | { type: 'sse.comment'; comment: string }
  | { type: 'sse.keepalive'; interval: number; comment: string }
  | { type: 'sse.close'; reason: string | undefined }
  | { type: 'websocket.accept'; subprotocol: string | undefined; headers: HeaderPair[] }
  | { type: 'websocket.send'; text: string; bytes?: undefined }
  | { type: 'websocket.send'; bytes: Uint8Array; text?: undefined }
  | { type: 'websocket.close'; code: number; reason: string }
  | { type: 'websocket.keepalive'; interval: number; timeout: number | undefined }
  | { type: 'lifespan.startup.complete' }
  | { type: 'lifespan.startup.failed'; message: string }
  | { type: 'lifespan.shutdown.complete' }
  | { type: 'lifespan.shutdown.failed'; message: string };

export interface Step {
  /** The validated, normalised event to hand to the transport. */
  event: NormalizedSendEvent;
  /** State after the event. */
  next: string;
  /** A repeated `sse.close`/`websocket.close`: resolve without doing anything. */
  noop: boolean;
}

export interface SendValidator {
  /** Current state name (`idle`, `started`, `streaming`, `open`, ...). */
  readonly state: string;
  /** A response (or accept/start/refusal) has been accepted. */
  readonly started: boolean;
  /** The terminal event was accepted. */
  readonly complete: boolean;
  /** Validates without changing state; throws `InvalidEvent` or `OutOfOrder`. */
  check(event: unknown): Step;
  /** Applies a step returned by `check`. */
  commit(step: Step): void;
  /** Lifespan only: the server delivered `lifespan.shutdown`, so answers are now due. */
  noteShutdownDelivered(): void;
}

const HTTP_RESPONSE_TYPES = new Set(['http.response.start', 'http.response.body', 'http.response.trailers']);
const COMPLETE_STATES = new Set(['done', 'closed', 'failed']);
const HANDSHAKE_HEADERS = new Set([
  'upgrade',
  'connection',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'sec-websocket-version',
  'sec-websocket-key',
]);

/** Creates the state machine for `scope.type`. */
export function createSendValidator(scope: Scope): SendValidator {
  return new Validator(scope);
}

class Validator implements SendValidator {
  state: string;
  started = false;
  // HTTP sub-machine (also used by SSE and WebSocket refusals).
  private trailersPromised = false;
  /** The accepted start's headers (for `late_trailers`: no trailers after a content-length). */
  private startHeaders: HeaderPair[] | undefined;
  private readonly scope: Scope;

  constructor(scope: Scope) {
    this.scope = scope;
    this.state = INITIAL[scope.type];
  }

  get complete(): boolean {
    return COMPLETE_STATES.has(this.state);
  }

  check(event: unknown): Step {
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      throw new InvalidEvent(undefined, undefined, `send() takes an event object, got ${describeType(event)}`);
    }
    const e = event as Record<string, unknown>;
    const type = e.type;
    if (typeof type !== 'string') {
      throw new InvalidEvent(undefined, 'type', `must be a string, got ${describeType(type)}`);
    }
    switch (this.scope.type) {
      case 'http':
        return this.checkHttp(type, e);
      case 'sse':
        return this.checkSse(type, e);
      case 'websocket':
        return this.checkWebSocket(type, e);
      case 'lifespan':
        return this.checkLifespan(type, e);
    }
  }

  commit(step: Step): void {
    if (step.noop) return;
    if (step.event.type === 'http.response.start') {
      this.trailersPromised = step.event.trailers;
      this.startHeaders = step.event.headers;
    }
    if (!this.started && STARTING_TYPES.has(step.event.type)) this.started = true;
    this.state = step.next;
  }

  noteShutdownDelivered(): void {
    if (this.scope.type === 'lifespan' && this.state === 'running') this.state = 'stopping';
  }

  // ------------------------------------------------------------------ http

  private checkHttp(type: string, e: Record<string, unknown>): Step {
    if (type === 'http.fullflush') return this.fullflush(['started', 'streaming']);
    if (type === 'http.response.interim') return this.interim(e);
    if (HTTP_RESPONSE_TYPES.has(type)) return this.httpResponse(type, e, 'idle', 200);
    throw this.unknown(type);
  }

  /**
   * The §4.4 machine. `idle` names the state in which a start is allowed
   * (`idle` on http, `pending` on sse, `connecting` on websocket refusals).
   */
  private httpResponse(type: string, e: Record<string, unknown>, idle: string, minStatus: number): Step {
    const s = this.state;
    if (type === 'http.response.start') {
      const status = e.status;
      if (typeof status !== 'number' || !Number.isInteger(status)) {
        throw new InvalidEvent(type, 'status', `must be an integer, got ${describeType(status)}`);
      }
      if (status < minStatus || status > 999) {
        // An http scope's final 1xx (`final_informational`); SSE and WebSocket refusals have none.
        if (this.scope.type === 'http' && status < 200) checkFinalInformational(this.scope, type, status);
        else throw new InvalidEvent(type, 'status', `must be an integer from ${minStatus} to 999, got ${status}`);
      }
      const headers = checkFraming(type, validateHeaders(type, 'headers', e.headers));
      const reason = e.reason === undefined ? undefined : checkReason(this.scope, type, e.reason);
      const names = e.header_names === undefined ? undefined : spellHeaderNames(this.scope, type, e.header_names, headers);
      if (s !== idle) throw new OutOfOrder(type, s, this.expected());
      return { event: { type, status, headers, trailers: Boolean(e.trailers), reason, header_names: names }, next: 'started', noop: false };
    }
    if (type === 'http.response.body') {
      const event = normalizeBody(e);
      if (s !== 'started' && s !== 'streaming') throw new OutOfOrder(type, s, this.expected());
      if (event.kind !== 'inline') {
        if (s === 'streaming') {
          throw new OutOfOrder(type, s, 'inline bodies only: a file/fh body cannot follow inline bytes');
        }
        return { event, next: this.trailersPromised ? 'trailers-due' : 'done', noop: false };
      }
      const next = event.more ? 'streaming' : this.trailersPromised ? 'trailers-due' : 'done';
      return { event, next, noop: false };
    }
    // http.response.trailers
    const headers = validateHeaders(type, 'headers', e.headers);
    if (!this.trailersPromised) {
      // Unpromised trailers: `late_trailers` (http scopes; an SSE refusal has no use for them).
      if (this.scope.type === 'http') checkLateTrailers(this.scope, s, this.startHeaders, this.expected());
      else throw new OutOfOrder(type, s, 'a start with trailers: true first');
    } else if (s !== 'started' && s !== 'streaming' && s !== 'trailers-due') {
      throw new OutOfOrder(type, s, this.expected());
    }
    return { event: { type: 'http.response.trailers', headers }, next: 'done', noop: false };
  }

  /** The `interim` extension: a 1xx response before the start; the state stays `idle`. */
  private interim(e: Record<string, unknown>): Step {
    const type = 'http.response.interim';
    if (!advertises(this.scope, 'interim')) {
      throw new InvalidEvent(type, undefined, 'the interim extension is not advertised in scope.extensions');
    }
    const status = e.status;
    // 101 switches protocols: that is the WebSocket path, never an interim response.
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 199 || status === 101) {
      throw new InvalidEvent(type, 'status', `must be an integer from 100 to 199 other than 101, got ${String(status)}`);
    }
    const headers = validateHeaders(type, 'headers', e.headers);
    if (this.state !== 'idle') throw new OutOfOrder(type, this.state, 'interim responses before http.response.start only');
    return { event: { type, status, headers }, next: 'idle', noop: false };
  }

  private fullflush(allowed: string[]): Step {
    const type = 'http.fullflush';
    if (!advertises(this.scope, 'fullflush')) {
      throw new InvalidEvent(type, undefined, 'the fullflush extension is not advertised in scope.extensions');
    }
    if (!allowed.includes(this.state)) throw new OutOfOrder(type, this.state, this.expected());
    return { event: { type }, next: this.state, noop: false };
  }

  // ------------------------------------------------------------------- sse

  private checkSse(type: string, e: Record<string, unknown>): Step {
    const s = this.state;
    if (HTTP_RESPONSE_TYPES.has(type)) {
      if (s === 'open') throw new OutOfOrder(type, s, 'SSE stream events after sse.start');
      if (s === 'closed') throw new OutOfOrder(type, s, 'nothing: the stream is closed');
      const step = this.httpResponse(type, e, 'pending', 200);
      if (step.next === 'done') step.next = 'closed';
      return step;
    }
    if (type === 'http.fullflush') return this.fullflush(['open', 'started', 'streaming']);
    switch (type) {
      case 'sse.start': {
        const status = e.status ?? 200;
        if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 999) {
          throw new InvalidEvent(type, 'status', `must be an integer from 200 to 999, got ${String(status)}`);
        }
        const headers = checkFraming(type, validateHeaders(type, 'headers', e.headers));
        if (s !== 'pending') throw new OutOfOrder(type, s, this.expected());
        return { event: { type, status, headers }, next: 'open', noop: false };
      }
      case 'sse.send': {
        const data = e.data;
        if (typeof data !== 'string') throw new InvalidEvent(type, 'data', `must be a string, got ${describeType(data)}`);
        const event = optionalLine(type, 'event', e.event);
        const id = optionalLine(type, 'id', e.id);
        const retry = e.retry;
        if (retry !== undefined && (typeof retry !== 'number' || !Number.isInteger(retry) || retry < 0)) {
          throw new InvalidEvent(type, 'retry', `must be a non-negative integer, got ${String(retry)}`);
        }
        this.streamingOnly(type);
        return { event: { type, data, event, id, retry: retry as number | undefined }, next: s, noop: false };
      }
      case 'sse.comment': {
        const comment = e.comment;
        if (typeof comment !== 'string') {
          throw new InvalidEvent(type, 'comment', `must be a string, got ${describeType(comment)}`);
        }
        this.streamingOnly(type);
        return { event: { type, comment }, next: s, noop: false };
      }
      case 'sse.keepalive': {
        const interval = nonNegativeNumber(type, 'interval', e.interval, true);
        const comment = e.comment ?? '';
        if (typeof comment !== 'string') {
          throw new InvalidEvent(type, 'comment', `must be a string, got ${describeType(comment)}`);
        }
        this.streamingOnly(type);
        return { event: { type, interval: interval as number, comment }, next: s, noop: false };
      }
      case 'sse.close': {
        const reason = e.reason;
        if (reason !== undefined && typeof reason !== 'string') {
          throw new InvalidEvent(type, 'reason', `must be a string, got ${describeType(reason)}`);
        }
        if (s === 'closed') return { event: { type, reason }, next: s, noop: true };
        if (s !== 'open') throw new OutOfOrder(type, s, this.expected());
        return { event: { type, reason }, next: 'closed', noop: false };
      }
    }
    if (type.startsWith('sse.http.response.')) {
      throw new InvalidEvent(type, undefined, `unknown event type; use ${type.slice(4)} to refuse the stream`);
    }
    throw this.unknown(type);
  }

  private streamingOnly(type: string): void {
    if (this.state !== 'open') throw new OutOfOrder(type, this.state, this.expected());
  }

  // ------------------------------------------------------------- websocket

  private checkWebSocket(type: string, e: Record<string, unknown>): Step {
    const s = this.state;
    if (HTTP_RESPONSE_TYPES.has(type)) {
      if (s === 'open' || s === 'closing') throw new OutOfOrder(type, s, 'no HTTP response after websocket.accept');
      return this.httpResponse(type, e, 'connecting', 300);
    }
    switch (type) {
      case 'websocket.accept': {
        const subprotocol = e.subprotocol;
        if (subprotocol !== undefined) {
          if (typeof subprotocol !== 'string') {
            throw new InvalidEvent(type, 'subprotocol', `must be a string, got ${describeType(subprotocol)}`);
          }
          const offered = (this.scope as { subprotocols?: string[] }).subprotocols ?? [];
          if (!offered.includes(subprotocol)) {
            throw new InvalidEvent(type, 'subprotocol', `must be one the client offered (${offered.join(', ') || 'none'}), got ${JSON.stringify(subprotocol)}`);
          }
        }
        const headers = validateHeaders(type, 'headers', e.headers);
        for (const [name] of headers) {
          if (HANDSHAKE_HEADERS.has(name)) {
            throw new InvalidEvent(type, 'headers', `must not set the handshake-owned header '${name}'`);
          }
        }
        if (s !== 'connecting') throw new OutOfOrder(type, s, this.expected());
        return { event: { type, subprotocol, headers }, next: 'open', noop: false };
      }
      case 'websocket.send': {
        const { text, bytes } = e;
        const hasText = text !== undefined && text !== null;
        const hasBytes = bytes !== undefined && bytes !== null;
        if (hasText === hasBytes) {
          throw new InvalidEvent(type, 'text/bytes', 'exactly one of text (string) or bytes (Uint8Array) is required');
        }
        if (hasText && typeof text !== 'string') throw new InvalidEvent(type, 'text', `must be a string, got ${describeType(text)}`);
        if (hasBytes && !(bytes instanceof Uint8Array)) {
          throw new InvalidEvent(type, 'bytes', `must be a Uint8Array, got ${describeType(bytes)}`);
        }
        if (s !== 'open') throw new OutOfOrder(type, s, this.expected());
        const event = hasText ? { type, text: text as string } : { type, bytes: bytes as Uint8Array };
        return { event: event as NormalizedSendEvent, next: s, noop: false };
      }
      case 'websocket.close': {
        const code = e.code ?? 1000;
        if (typeof code !== 'number' || !isValidCloseCode(code)) {
          throw new InvalidEvent(type, 'code', `must be 1000-1003, 1007-1014 or 3000-4999, got ${String(code)}`);
        }
        const reason = e.reason ?? '';
        if (typeof reason !== 'string') throw new InvalidEvent(type, 'reason', `must be a string, got ${describeType(reason)}`);
        if (Buffer.byteLength(reason) > 123) throw new InvalidEvent(type, 'reason', 'must be at most 123 UTF-8 bytes');
        const event = { type, code, reason } as const;
        if (s === 'closing' || s === 'done') {
          if (s === 'closing') return { event, next: s, noop: true };
          throw new OutOfOrder(type, s, this.expected());
        }
        if (s === 'connecting') return { event, next: 'done', noop: false };
        if (s !== 'open') throw new OutOfOrder(type, s, this.expected());
        return { event, next: 'closing', noop: false };
      }
      case 'websocket.keepalive': {
        const interval = nonNegativeNumber(type, 'interval', e.interval, true) as number;
        const timeout = nonNegativeNumber(type, 'timeout', e.timeout, false);
        if (s !== 'open') throw new OutOfOrder(type, s, this.expected());
        return { event: { type, interval, timeout }, next: s, noop: false };
      }
    }
    if (type.startsWith('websocket.http.response.')) {
      throw new InvalidEvent(type, undefined, `unknown event type; use ${type.slice(10)} to refuse the handshake`);
    }
    throw this.unknown(type);
  }

  // -------------------------------------------------------------- lifespan

  private checkLifespan(type: string, e: Record<string, unknown>): Step {
    const s = this.state;
    switch (type) {
      case 'lifespan.startup.complete':
      case 'lifespan.shutdown.complete': {
        const due = type === 'lifespan.startup.complete' ? 'starting' : 'stopping';
        if (s !== due) throw new OutOfOrder(type, s, this.expected());
        return { event: { type }, next: due === 'starting' ? 'running' : 'done', noop: false };
      }
      case 'lifespan.startup.failed':
      case 'lifespan.shutdown.failed': {
        const message = e.message ?? '';
        if (typeof message !== 'string') throw new InvalidEvent(type, 'message', `must be a string, got ${describeType(message)}`);
        const due = type === 'lifespan.startup.failed' ? 'starting' : 'stopping';
        if (s !== due) throw new OutOfOrder(type, s, this.expected());
        return { event: { type, message }, next: due === 'starting' ? 'failed' : 'done', noop: false };
      }
    }
    throw this.unknown(type);
  }

  // ---------------------------------------------------------------- shared

  private unknown(type: string): InvalidEvent {
    return new InvalidEvent(type, undefined, `unknown event type for a '${this.scope.type}' scope`);
  }

  /** What the current state allows, for "expected X, got Y" messages. */
  private expected(): string {
    return EXPECTED[`${this.scope.type}:${this.state}`] ?? EXPECTED[this.state] ?? 'nothing';
  }
}

const INITIAL: Record<Scope['type'], string> = {
  http: 'idle',
  sse: 'pending',
  websocket: 'connecting',
  lifespan: 'starting',
};

const STARTING_TYPES = new Set(['http.response.start', 'sse.start', 'websocket.accept', 'websocket.close']);

const EXPECTED: Record<string, string> = {
  idle: 'http.response.start',
  started: 'http.response.body or http.response.trailers',
  streaming: 'http.response.body',
  'trailers-due': 'http.response.trailers',
  done: 'nothing: the response is complete',
  'sse:pending': 'sse.start, or http.response.start to refuse the stream',
  'sse:open': 'sse.send, sse.comment, sse.keepalive or sse.close',
  closed: 'nothing: the stream is closed',
  'websocket:connecting': 'websocket.accept, websocket.close, or http.response.start (status >= 300) to refuse',
  open: 'websocket.send, websocket.keepalive or websocket.close',
  closing: 'nothing: websocket.close was sent',
  'websocket:done': 'nothing: the session is over',
  starting: 'lifespan.startup.complete or lifespan.startup.failed',
  running: 'nothing until lifespan.shutdown has been received',
  stopping: 'lifespan.shutdown.complete or lifespan.shutdown.failed',
  failed: 'nothing: startup failed',
};

function normalizeBody(e: Record<string, unknown>): NormalizedSendEvent & { type: 'http.response.body' } {
  const type = 'http.response.body';
  const { body, file, fh } = e;
  const given = (body !== undefined ? 1 : 0) + (file !== undefined ? 1 : 0) + (fh !== undefined ? 1 : 0);
  if (given > 1) throw new InvalidEvent(type, 'body/file/fh', 'at most one of body, file and fh may be given');
  const offset = nonNegativeInteger(type, 'offset', e.offset) ?? 0;
  const length = nonNegativeInteger(type, 'length', e.length);
  if (file !== undefined) {
    if (typeof file !== 'string') throw new InvalidEvent(type, 'file', `must be a string path, got ${describeType(file)}`);
    if (!isAbsolute(file)) throw new InvalidEvent(type, 'file', `must be an absolute path, got ${JSON.stringify(file)}`);
    return { type, kind: 'file', file, offset, length };
  }
  if (fh !== undefined) {
    if (typeof fh !== 'object' || fh === null || typeof (fh as FileHandle).read !== 'function') {
      throw new InvalidEvent(type, 'fh', `must be a FileHandle from node:fs/promises, got ${describeType(fh)}`);
    }
    return { type, kind: 'fh', fh: fh as FileHandle, offset, length };
  }
  let bytes: Uint8Array;
  if (body === undefined) bytes = EMPTY;
  else if (typeof body === 'string') bytes = Buffer.from(body, 'utf8');
  else if (body instanceof Uint8Array) bytes = body;
  else throw new InvalidEvent(type, 'body', `must be a string or Uint8Array, got ${describeType(body)}`);
  return { type, kind: 'inline', body: bytes, more: Boolean(e.more) };
}

const EMPTY = Buffer.alloc(0);

function nonNegativeInteger(type: string, field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InvalidEvent(type, field, `must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

function nonNegativeNumber(type: string, field: string, value: unknown, required: boolean): number | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidEvent(type, field, `must be a non-negative number of seconds, got ${describeType(value)} ${String(value)}`);
  }
  return value;
}

function optionalLine(type: string, field: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidEvent(type, field, `must be a string, got ${describeType(value)}`);
  if (/[\r\n]/.test(value)) throw new InvalidEvent(type, field, 'must not contain CR or LF');
  return value;
}

/** Close codes an application may send (RFC 6455 §7.4). */
export function isValidCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999))
  );
}
