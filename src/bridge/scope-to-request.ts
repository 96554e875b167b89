/**
 * Pure mapping from a PAGI `http`/`sse` scope to the request-line facts of a
 * Node `IncomingMessage` (PROTOCOL.md §12.1). No Node objects are built here,
 * so every rule is table-testable.
 */
import type { HTTPScope, SSEScope } from '../protocol/types.js';
import { encodedRootPrefix, encodePath } from '../protocol/paths.js';

/** What the fake request needs from a scope, before any body is read. */
export interface RequestLine {
  method: string;
  /** `raw_path` minus the encoded `root_path` prefix (`'/'` if empty), plus `?query_string`. */
  url: string;
  /** The full raw path plus query: what the client asked for, above every mount. */
  originalUrl: string;
  /** The encoded form of `root_path` as it appears at the front of `raw_path` (`''` at top level). */
  baseUrl: string;
  /** Flat `[name, value, ...]` list in scope order, names lower-case. */
  rawHeaders: string[];
  httpVersion: string;
  httpVersionMajor: number;
  httpVersionMinor: number;
  /** How Node's parser would frame the body of this request (see `bodyFraming`). */
  framing: BodyFraming;
  /** The declared `content-length` when the body is framed by it (no transfer-encoding). */
  contentLength: number | undefined;
}

/**
 * `none`: the request has no body (Node ends the stream at once).
 * `declared`: `content-length` > 0 or `transfer-encoding` says a body follows.
 * `unknown`: neither header on HTTP/2, where a body may still come; the
 * bridge reads the first `http.request` event to decide.
 */
export type BodyFraming = 'none' | 'declared' | 'unknown';

export type RequestScope = HTTPScope | SSEScope;

/** Builds the request-line facts for `scope`. */
export function scopeToRequestLine(scope: RequestScope): RequestLine {
  const rawPath = scope.raw_path;
  const query = scope.query_string ? `?${scope.query_string}` : '';
  const baseUrl = encodedRootPrefix(rawPath, scope.root_path);
  let rest: string;
  if (baseUrl === undefined) {
    // The scope's raw_path does not start with its root_path (a hand-built or
    // rewritten scope): fall back to re-encoding the decoded parts.
    rest = encodePath(scope.path);
  } else {
    rest = rawPath.slice(baseUrl.length);
  }
  if (rest === '') rest = '/';
  const version = versionOf(scope.http_version);
  return {
    method: scope.method,
    url: rest + query,
    originalUrl: (rawPath === '' ? '/' : rawPath) + query,
    baseUrl: baseUrl ?? encodePath(scope.root_path),
    rawHeaders: flattenHeaders(scope.headers),
    httpVersion: version.text,
    httpVersionMajor: version.major,
    httpVersionMinor: version.minor,
    framing: bodyFraming(scope.headers, scope.http_version),
    contentLength: declaredLength(scope.headers),
  };
}

/**
 * The body length Node's parser would wait for: the first `content-length`,
 * when it is a plain number and no `transfer-encoding` overrides it.
 */
export function declaredLength(headers: ReadonlyArray<readonly [string, string]>): number | undefined {
  let length: number | undefined;
  for (const [name, value] of headers) {
    if (name === 'transfer-encoding') return undefined;
    if (name === 'content-length' && length === undefined) {
      if (!/^\s*\d+\s*$/.test(value)) return undefined;
      length = Number(value);
    }
  }
  return length;
}

/** `'1.0'`, `'1.1'`, `'2'` → Node's `httpVersion` text and numbers. */
export function versionOf(httpVersion: string): { text: string; major: number; minor: number } {
  if (httpVersion === '2') return { text: '2.0', major: 2, minor: 0 };
  if (httpVersion === '1.0') return { text: '1.0', major: 1, minor: 0 };
  return { text: '1.1', major: 1, minor: 1 };
}

/** Flat raw-header list as Node's parser delivers it (names already lower-case in PAGI). */
export function flattenHeaders(headers: ReadonlyArray<readonly [string, string]>): string[] {
  const out: string[] = new Array(headers.length * 2);
  for (let i = 0; i < headers.length; i++) {
    const pair = headers[i] as readonly [string, string];
    out[2 * i] = pair[0];
    out[2 * i + 1] = pair[1];
  }
  return out;
}

/**
 * Decides how Node would frame the request body. On HTTP/1.x a request with
 * neither `content-length` nor `transfer-encoding` has no body (RFC 9112
 * §6.3), which is also what Node's parser assumes; `content-length: 0` ends it
 * at once too. HTTP/2 carries no framing headers, so absence proves nothing.
 */
export function bodyFraming(headers: ReadonlyArray<readonly [string, string]>, httpVersion: string): BodyFraming {
  let contentLength: string | undefined;
  let transferEncoding = false;
  for (const [name, value] of headers) {
    if (name === 'content-length' && contentLength === undefined) contentLength = value;
    else if (name === 'transfer-encoding') transferEncoding = true;
  }
  if (transferEncoding) return 'declared';
  if (contentLength !== undefined) return /^\s*0+\s*$/.test(contentLength) ? 'none' : 'declared';
  return httpVersion === '2' ? 'unknown' : 'none';
}
