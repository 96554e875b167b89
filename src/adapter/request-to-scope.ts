/**
 * `requestToScope`: the pure mapping from a Node request to an `http` or
 * `sse` scope (PROTOCOL.md §3, §4.1, §6.1, §12.3). It reads only the fields
 * named in `IncomingLike`, so tests can feed it literal objects.
 */
import type { TLSSocket } from 'node:tls';
import { pairsFromRawHeaders, pushRequestPair } from '../protocol/headers.js';
import type { ConnectionState, Extensions, HTTPScope, HeaderPair, SSEScope } from '../protocol/types.js';
import { decodePath, encodePath } from '../protocol/paths.js';
import { splitTarget } from './paths.js';
import { wantsEventStream } from './sse-detect.js';
import { tlsExtensionFor } from './tls-extension.js';

/** The parts of a `net.Socket`/`tls.TLSSocket` the scope is built from. */
export interface SocketLike {
  encrypted?: boolean;
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
  localAddress?: string | undefined;
  localPort?: number | undefined;
  /** Set by `net.Server` on accepted sockets; used to find a Unix socket's path. */
  server?: { address(): unknown } | null;
}

/** The parts of an `http.IncomingMessage` the scope is built from. */
export interface IncomingLike {
  method?: string | undefined;
  url?: string | undefined;
  httpVersion: string;
  rawHeaders: string[];
  socket: SocketLike | null;
}

export interface ScopeOptions {
  /** Decoded mount prefix (`root_path`); default `''`. */
  rootPath?: string;
  /** Encoded form of `rootPath`, prepended to `raw_path`; derived when omitted. */
  rawRootPath?: string;
  /** Shallow-copied into `scope.state`. */
  state?: Record<string, unknown> | undefined;
  /** Advertise `fullflush`; default true. */
  fullflush?: boolean;
  /** Advertise `interim` (1xx responses) on HTTP/1.1 requests; default true. */
  interim?: boolean;
}

// Capability markers without data: one frozen object each, shared by every scope (no per-request allocation).
const OFFERED: Readonly<Record<string, never>> = Object.freeze({});

const PAGI_VERSION = '0.5';
const SPEC_VERSION = '0.6';

/** Builds the scope for one request. `connection` becomes `scope['pagi.connection']`. */
export function requestToScope(
  incoming: IncomingLike,
  connection: ConnectionState,
  options: ScopeOptions = {},
): HTTPScope | SSEScope {
  const target = incoming.url ?? '/';
  const { rawPath, queryString } = splitTarget(target);
  const rootPath = options.rootPath ?? '';
  const httpVersion = httpVersionOf(incoming.httpVersion);
  const headers = requestHeaderPairs(incoming.rawHeaders, httpVersion);
  const socket = incoming.socket;
  const encrypted = socket?.encrypted === true;
  // Scanned once: the type and the interim extension both depend on it.
  const sse = wantsEventStream(headers);
  const extensions = extensionsFor(target, incoming.rawHeaders, httpVersion, sse, encrypted ? socket : null, options);
  const scope: HTTPScope | SSEScope = {
    type: sse ? 'sse' : 'http',
    pagi: { version: PAGI_VERSION, spec_version: SPEC_VERSION },
    http_version: httpVersion,
    method: (incoming.method ?? 'GET').toUpperCase(),
    scheme: encrypted ? 'https' : 'http',
    path: rawPath === '*' ? '*' : decodePath(rawPath),
    raw_path: rootPath === '' ? rawPath : (options.rawRootPath ?? encodePath(rootPath)) + rawPath,
    query_string: queryString,
    root_path: rootPath,
    headers,
    state: options.state === undefined ? {} : { ...options.state },
    extensions,
    'pagi.connection': connection,
  };
  if (socket) addAddresses(scope, socket);
  return scope;
}

/**
 * `scope.extensions` (docs/protocol.md#extensions). The common requests —
 * plain HTTP/1.1 or h2c, not SSE, every extension on — are one object literal, so
 * all its keys live in the object itself: adding keys one by one past V8's
 * four in-object slots allocates (and grows) a separate property store.
 */
function extensionsFor(
  target: string,
  rawHeaders: string[],
  httpVersion: '1.0' | '1.1' | '2',
  sse: boolean,
  tlsSocket: SocketLike | null,
  options: ScopeOptions,
): Extensions {
  const common = !sse && tlsSocket === null && options.fullflush !== false;
  if (common && httpVersion === '2') {
    return { fullflush: {}, request_target: { target }, request_trailers: {}, late_trailers: OFFERED };
  }
  if (common && httpVersion === '1.1' && options.interim !== false) {
    return {
      fullflush: {},
      interim: {},
      request_target: { target },
      header_case: { raw_headers: rawHeaders },
      request_trailers: {},
      reason_phrase: OFFERED,
      final_informational: OFFERED,
      late_trailers: OFFERED,
    };
  }
  const extensions: Extensions = {};
  if (options.fullflush !== false) extensions.fullflush = {};
  // `http` scopes of HTTP/1.1 only: 1xx must not reach an HTTP/1.0 client
  // (RFC 9110 §15.2), and the HTTP/2 compat response has no writeProcessing().
  if (options.interim !== false && httpVersion === '1.1' && !sse) extensions.interim = {};
  if (tlsSocket !== null) extensions.tls = tlsExtensionFor(tlsSocket as unknown as TLSSocket);
  // What raw_path/query_string lose: an absolute-form target's scheme and host, a bare `?`.
  extensions.request_target = { target };
  // HTTP/1.x: Node's own array, shared, not copied (HTTP/2's carries the pseudo-headers).
  if (httpVersion !== '2') extensions.header_case = { raw_headers: rawHeaders };
  // Trailers follow a chunked HTTP/1.1 body or an HTTP/2 stream's last headers.
  if (httpVersion !== '1.0' && !sse) extensions.request_trailers = {};
  // Response side. HTTP/2 has no reason phrase and no 1xx final status; HTTP/1.0 no chunked
  // framing to carry trailers (Node drops them there, so nothing is offered).
  if (httpVersion !== '2') extensions.reason_phrase = OFFERED;
  if (httpVersion === '1.1' && !sse) extensions.final_informational = OFFERED;
  if (httpVersion !== '1.0' && !sse) extensions.late_trailers = OFFERED;
  return extensions;
}

/**
 * A request's header pairs from Node's flat `rawHeaders` (§3.1), for `http`,
 * `sse` and `websocket` scopes alike. HTTP/2: pseudo-headers removed,
 * `:authority` becomes (or replaces) `host`.
 */
export function requestHeaderPairs(raw: readonly string[], httpVersion: '1.0' | '1.1' | '2'): HeaderPair[] {
  return httpVersion === '2' ? pairsFromHttp2RawHeaders(raw) : pairsFromRawHeaders(raw);
}

/**
 * An HTTP/2 request's flat header list straight to the scope's pairs, in one
 * pass. Cookie fields are joined as `pairsFromRawHeaders` joins them (RFC 9113 §8.2.3).
 */
function pairsFromHttp2RawHeaders(raw: readonly string[]): HeaderPair[] {
  const out: HeaderPair[] = [];
  let authority: string | undefined;
  let cookieIndex = -1;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (name.charCodeAt(0) === 0x3a /* : */) {
      if (name === ':authority') authority = value;
    } else {
      // nghttp2 never passes on an upper-case field name (RFC 9113 §8.2.1: malformed): nothing to lower-case.
      cookieIndex = pushRequestPair(out, name, value, cookieIndex);
    }
  }
  if (authority === undefined) return out;
  const host = out.findIndex(([name]) => name === 'host');
  if (host === -1) out.unshift(['host', authority]);
  else out[host] = ['host', authority];
  return out;
}

/** `req.httpVersion` → the scope's spelling (`'2.0'` → `'2'`). */
export function httpVersionOf(version: string): '1.0' | '1.1' | '2' {
  if (version === '1.1') return '1.1';
  if (version === '1.0') return '1.0';
  if (version.charAt(0) === '2') return '2';
  // HTTP/0.9 and oddities: the closest version with the same framing rules.
  return '1.0';
}

const kAddresses = Symbol('pagi.socketAddresses');
type Addresses = { client: [string, number] | undefined; server: [string, number | null] | undefined };
type CachingSocket = SocketLike & { [kAddresses]?: Addresses };

/**
 * `client`/`server` tuples. A keep-alive socket's addresses never change, so
 * they are read once per socket (the getters are not free) and copied into
 * each scope, which owns its arrays.
 */
function addAddresses(scope: HTTPScope | SSEScope, socket: CachingSocket): void {
  let cached = socket[kAddresses];
  if (cached === undefined) {
    cached = readAddresses(socket);
    socket[kAddresses] = cached;
  }
  if (cached.client !== undefined) scope.client = [cached.client[0], cached.client[1]];
  if (cached.server !== undefined) scope.server = [cached.server[0], cached.server[1]];
}

function readAddresses(socket: SocketLike): Addresses {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  const client: [string, number] | undefined =
    remoteAddress !== undefined && remotePort !== undefined ? [remoteAddress, remotePort] : undefined;
  if (localAddress !== undefined && localPort !== undefined) return { client, server: [localAddress, localPort] };
  // A Unix-domain socket has no local address; the listening server knows its path.
  const address = socket.server?.address();
  return { client, server: typeof address === 'string' ? [address, null] : undefined };
}
