/**
 * Options of `toNodeListener`/`toExpress`/`handleRequest`, resolved once per
 * listener so the per-request path reads plain fields.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HTTPScope, SSEScope } from '../protocol/types.js';
import { encodePath } from '../protocol/paths.js';

/** Where the adapter reports failures. Only `error` is required. */
export interface Logger {
  error(message: string, error?: unknown): void;
  warn?(message: string, error?: unknown): void;
  info?(message: string, error?: unknown): void;
  debug?(message: string, error?: unknown): void;
}

export interface AdapterOptions {
  /**
   * Decoded path prefix under which this app is served (PSGI `SCRIPT_NAME`),
   * e.g. behind a proxy that strips `/app`. Becomes `root_path`, and its
   * encoded form is prepended to `raw_path`. Default `''`.
   */
  rootPath?: string;
  /** Copied (shallowly) into every scope's `state`. Default `{}`. */
  state?: Record<string, unknown>;
  /** Failure reports. Default: `console`. */
  logger?: Logger;
  /**
   * Largest request body in bytes; `0` or absent = unlimited (§4.5). A larger
   * declared `content-length` gets `413` before the app runs; a chunked body
   * crossing the limit ends the scope with `body_too_large`.
   */
  maxBodySize?: number;
  /**
   * Seconds one `send()` of an `http` or `sse` scope may wait for a client
   * that does not read (Node's buffer stays full) before the scope ends
   * abnormally with `write_timeout`: the connection is destroyed and the
   * pending send rejects with `Disconnected`. `0` or absent = no limit (the
   * default, like `node:http`). WebSockets have their own `sendTimeout`.
   */
  sendTimeout?: number;
  /**
   * Extensions to advertise. `fullflush` is on unless set to `false`;
   * `interim` (1xx responses, HTTP/1.1 requests only) likewise.
   */
  extensions?: { fullflush?: boolean; interim?: boolean };
  /**
   * Called once per request when the app has settled and the response has
   * closed (access logs). Exceptions are logged, never propagated.
   */
  onResponseEnd?: (info: ResponseEndInfo) => void;
}

/** What `onResponseEnd` reports. */
export interface ResponseEndInfo {
  req: IncomingMessage;
  res: ServerResponse;
  scope: HTTPScope | SSEScope;
  /** Status written (0 when no head was written, e.g. the client left first). */
  status: number;
  /** Body bytes handed to Node (after any HEAD/204 suppression Node applies). */
  bodyBytes: number;
  /** The §7.3 token after an abnormal end, else undefined. */
  reason: string | undefined;
}

/** The options after defaults, shared by every request of one listener. */
export interface ResolvedOptions {
  rootPath: string;
  /** `rootPath` percent-encoded, prepended to `raw_path`. */
  rawRootPath: string;
  state: Record<string, unknown> | undefined;
  logger: Logger;
  maxBodySize: number;
  /** `sendTimeout` in milliseconds; 0 = none. */
  sendTimeoutMs: number;
  fullflush: boolean;
  interim: boolean;
  onResponseEnd: ((info: ResponseEndInfo) => void) | undefined;
}

const consoleLogger: Logger = {
  error: (message, error) => (error === undefined ? console.error(`pagi: ${message}`) : console.error(`pagi: ${message}`, error)),
  warn: (message, error) => (error === undefined ? console.warn(`pagi: ${message}`) : console.warn(`pagi: ${message}`, error)),
  info: (message) => console.info(`pagi: ${message}`),
  debug: () => {},
};

export function resolveOptions(options: AdapterOptions = {}): ResolvedOptions {
  const rootPath = options.rootPath ?? '';
  if (rootPath !== '' && (!rootPath.startsWith('/') || rootPath.endsWith('/'))) {
    throw new TypeError(`rootPath must start with '/' and not end with '/', got ${JSON.stringify(rootPath)}`);
  }
  const max = options.maxBodySize ?? 0;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 0) {
    throw new TypeError(`maxBodySize must be a non-negative integer, got ${String(max)}`);
  }
  const sendTimeout = options.sendTimeout ?? 0;
  if (typeof sendTimeout !== 'number' || !Number.isFinite(sendTimeout) || sendTimeout < 0) {
    throw new TypeError(`sendTimeout must be a non-negative number of seconds, got ${String(sendTimeout)}`);
  }
  return {
    rootPath,
    rawRootPath: encodePath(rootPath),
    state: options.state,
    logger: options.logger ?? consoleLogger,
    maxBodySize: max,
    sendTimeoutMs: sendTimeout * 1000,
    fullflush: options.extensions?.fullflush !== false,
    interim: options.extensions?.interim !== false,
    onResponseEnd: options.onResponseEnd,
  };
}

/** Calls a logger method without ever letting a faulty logger crash the request. */
export function log(logger: Logger, level: keyof Logger, message: string, error?: unknown): void {
  try {
    const fn = logger[level];
    if (fn !== undefined) {
      if (error === undefined) fn.call(logger, message);
      else fn.call(logger, message, error);
    }
  } catch {
    // A logger that throws must not turn a logged failure into a crash.
  }
}
