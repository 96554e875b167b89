/**
 * Pure mapping from a PAGI `http`/`sse` scope to the request-line facts of a
 * Node `IncomingMessage` (PROTOCOL.md §12.1). No Node objects are built here,
 * so every rule is table-testable.
 */
import type { HTTPScope, SSEScope } from '../protocol/types.js';
import { encodedRootPrefix, encodePath, splitTarget } from '../protocol/paths.js';
import { rawHeadersOf } from './raw-headers.js';

/** What the fake request needs from a scope, before any body is read. */
export interface RequestLine {
  method: string;
  /** `raw_path` minus the encoded `root_path` prefix (`'/'` if empty), plus `?query_string`. */
  url: string;
  /** The full raw path plus query: what the client asked for, above every mount. */
  originalUrl: string;
  /** The encoded form of `root_path` as it appears at the front of `raw_path` (`''` at top level). */
  baseUrl: string;
  /**
   * Flat `[name, value, ...]` list: the client's own (`header_case`) when it
   * still spells `headers`, else built from `headers` (names lower-case).
   */
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
  const version = versionOf(scope.http_version);
  const target = targetForm(scope);
  let url: string;
  let originalUrl: string;
  if (target === undefined || baseUrl === undefined) {
    url = (rest === '' ? '/' : rest) + query;
    originalUrl = (rawPath === '' ? '/' : rawPath) + query;
  } else {
    // As Node and Express's router: the whole target at the top; below a
    // prefix, scheme and host stay in front of the rest, which then gets no
    // '/' added, and loses a lone trailing slash, which Express's prefix
    // match takes along (`/blog/` matches `/blog` with its slash).
    originalUrl = target.text;
    if (baseUrl === '') url = target.text;
    else if (target.origin === '') url = (rest === '' ? '/' : rest) + target.query;
    else url = target.origin + (rest === '/' ? '' : rest) + target.query;
  }
  return {
    method: scope.method,
    url,
    originalUrl,
    baseUrl: baseUrl ?? encodePath(scope.root_path),
    rawHeaders: rawHeadersOf(scope),
    httpVersion: version.text,
    httpVersionMajor: version.major,
    httpVersionMinor: version.minor,
    framing: bodyFraming(scope.headers, scope.http_version),
    contentLength: declaredLength(scope.headers),
  };
}

/** What `request_target` adds to `raw_path` and `query_string`. */
interface TargetForm {
  /** The whole target. */
  text: string;
  /** `scheme://authority` of an absolute-form target `raw_path` was cut from, else `''`. */
  origin: string;
  /** From the `?` on (`'?'` alone for a bare `?`), `''` without one. */
  query: string;
}

/**
 * The scope's `request_target`, when it is still the target `raw_path` and
 * `query_string` were split from (a layer that rewrote the path or query
 * leaves a stale target behind, which is then ignored); `undefined` when it
 * adds nothing to them.
 */
function targetForm(scope: RequestScope): TargetForm | undefined {
  const extension = scope.extensions?.request_target;
  const text = extension?.target;
  if (typeof text !== 'string') return undefined;
  // The common case: origin-form, exactly raw_path[?query].
  const rawPath = scope.raw_path;
  const queryString = scope.query_string;
  if (text.length === rawPath.length + (queryString === '' ? 0 : queryString.length + 1) && text.startsWith(rawPath)) return undefined;
  const split = splitTarget(text);
  if (split.rawPath !== rawPath || split.queryString !== queryString) return undefined;
  let origin = '';
  if (!text.startsWith(rawPath)) {
    // Absolute-form reduced to its path: the authority ends at the first '/' or '?'.
    const authority = text.indexOf('://') + 3;
    let end = authority;
    while (end < text.length && text.charCodeAt(end) !== 0x2f && text.charCodeAt(end) !== 0x3f) end++;
    origin = text.slice(0, end);
  }
  const mark = text.indexOf('?', origin.length);
  return { text, origin, query: mark === -1 ? '' : text.slice(mark) };
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
