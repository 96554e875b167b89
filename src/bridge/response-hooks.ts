/**
 * The own-property hooks every fake response gets (PROTOCOL.md §12.2). They
 * are shared by all responses and find their per-response state through a
 * symbol, so a request costs one property map instead of a dozen closures;
 * own properties survive Express's `Object.setPrototypeOf(res, app.response)`.
 */
import type { ServerResponse } from 'node:http';

export type WriteCallback = (error?: Error | null) => void;
export type Chunk = string | Uint8Array;

/** What the hooks delegate to: the response's capture state. */
export interface ResponseHookTarget {
  readonly channel: { readonly outbox: { readonly pendingBytes: number }; readonly highWaterMark: number };
  userFlush: ((...args: unknown[]) => unknown) | undefined;
  storeHeader(firstLine: string, headers: unknown): void;
  write(chunk: Chunk, encoding: BufferEncoding | WriteCallback | undefined, callback?: WriteCallback): boolean;
  end(
    chunk?: Chunk | (() => void),
    encoding?: BufferEncoding | (() => void),
    callback?: (error?: Error | null) => void,
  ): ServerResponse;
  flushHeaders(): void;
  addTrailers(headers: unknown): void;
  rawWrite(data: Chunk, encoding: BufferEncoding | undefined, callback?: WriteCallback): boolean;
  flush(args: unknown[]): unknown;
  interim(status: 100 | 102 | 103, hints: unknown, callback: (() => void) | undefined): void;
  writableFinished(): boolean;
  writableNeedDrain(): boolean;
}

const kCapture = Symbol('pagi.bridge.responseCapture');
type WithCapture = ServerResponse & { [kCapture]: ResponseHookTarget };

function captureOf(res: ServerResponse): ResponseHookTarget {
  return (res as WithCapture)[kCapture];
}

// The hooks are shared by every response and find their state through
// `kCapture`, so a request costs one property map, not a dozen closures.
function hook(value: (this: ServerResponse, ...args: never[]) => unknown): PropertyDescriptor {
  return { value, writable: true, configurable: true, enumerable: false };
}

const RESPONSE_HOOKS: PropertyDescriptorMap = {
  _storeHeader: hook(function storeHeader(this: ServerResponse, firstLine: string, headers: unknown): void {
    captureOf(this).storeHeader(firstLine, headers);
  }),
  write: hook(function write(
    this: ServerResponse,
    chunk: Chunk,
    encoding?: BufferEncoding | WriteCallback,
    callback?: WriteCallback,
  ): boolean {
    return captureOf(this).write(chunk, encoding, callback);
  }),
  end: hook(function end(
    this: ServerResponse,
    chunk?: Chunk | (() => void),
    encoding?: BufferEncoding | (() => void),
    callback?: () => void,
  ): ServerResponse {
    return captureOf(this).end(chunk, encoding, callback);
  }),
  flushHeaders: hook(function flushHeaders(this: ServerResponse): void {
    captureOf(this).flushHeaders();
  }),
  addTrailers: hook(function addTrailers(this: ServerResponse, headers: unknown): void {
    captureOf(this).addTrailers(headers);
  }),
  // Nothing else in Node writes through these once write/end/flushHeaders
  // are replaced; they stay harmless for code that calls them directly.
  _send: hook(function send(this: ServerResponse, data: Chunk, encoding?: BufferEncoding, callback?: WriteCallback): boolean {
    return captureOf(this).rawWrite(data, encoding, callback);
  }),
  _writeRaw: hook(function writeRaw(
    this: ServerResponse,
    data: Chunk,
    encoding?: BufferEncoding,
    callback?: WriteCallback,
  ): boolean {
    return captureOf(this).rawWrite(data, encoding, callback);
  }),
  // `http.response.interim` when the server advertises `interim`, else
  // no-ops (the serving side sends 100 Continue itself when the body is read).
  writeContinue: hook(function writeContinue(this: ServerResponse, callback?: () => void): void {
    captureOf(this).interim(100, undefined, callback);
  }),
  writeProcessing: hook(function writeProcessing(this: ServerResponse, callback?: () => void): void {
    captureOf(this).interim(102, undefined, callback);
  }),
  writeEarlyHints: hook(function writeEarlyHints(this: ServerResponse, hints: unknown, callback?: () => void): void {
    captureOf(this).interim(103, hints, callback);
  }),
  // Node reports finished as soon as the socket took every byte, which for a
  // small response is inside end() itself, before 'finish'. Bytes below the
  // high-water mark count as taken; after a disconnect only a terminal send
  // that really went through does.
  writableFinished: {
    get(this: ServerResponse): boolean {
      return captureOf(this).writableFinished();
    },
    configurable: true,
  },
  writableLength: {
    get(this: ServerResponse): number {
      return captureOf(this).channel.outbox.pendingBytes;
    },
    configurable: true,
  },
  writableNeedDrain: {
    get(this: ServerResponse): boolean {
      return captureOf(this).writableNeedDrain();
    },
    configurable: true,
  },
  writableHighWaterMark: {
    get(this: ServerResponse): number {
      return captureOf(this).channel.highWaterMark;
    },
    configurable: true,
  },
};

// compression assigns `res.flush`; the accessor keeps its function and adds
// an `http.fullflush` after each call. Installed only when the server offers
// the extension.
const FLUSH_HOOK: PropertyDescriptorMap = {
  flush: {
    get(this: ServerResponse): ((...args: unknown[]) => unknown) | undefined {
      return captureOf(this).userFlush ? flushThenFullflush : undefined;
    },
    set(this: ServerResponse, fn: unknown): void {
      captureOf(this).userFlush = typeof fn === 'function' ? (fn as (...args: unknown[]) => unknown) : undefined;
    },
    configurable: true,
  },
};

function flushThenFullflush(this: ServerResponse, ...args: unknown[]): unknown {
  return captureOf(this).flush(args);
}

/** Links `res` to `target` and installs the hooks; the flush accessor only when `http.fullflush` is offered. */
export function installResponseHooks(res: ServerResponse, target: ResponseHookTarget, fullflush: boolean): void {
  (res as WithCapture)[kCapture] = target;
  Object.defineProperties(res, RESPONSE_HOOKS);
  if (fullflush) Object.defineProperties(res, FLUSH_HOOK);
}
