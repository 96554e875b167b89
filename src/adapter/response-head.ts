/**
 * Turning a validated start (`http.response.start`/`sse.start`) into the
 * flat `[name, value, ...]` list `res.writeHead()` takes (PROTOCOL.md §3.2,
 * §4.5): framing headers from the app are dropped (the server owns them),
 * `connection: upgrade` accompanies an `upgrade` header, an app's
 * `connection: close` is honoured by Node's own header, an app's own
 * `connection: keep-alive` is kept as Node keeps it (HTTP/1.x, see
 * `keepAlive`), and a `content-length` the server knows (file bodies) is
 * added when the app gave none. Names are written lower-case, or as
 * `names` spells them (`header_names`, the `header_case` extension).
 */
import type { HeaderPair } from '../protocol/types.js';

export interface HeadInfo {
  /** Flat list for `writeHead`. */
  flat: string[];
  /** The app set `content-length` itself. */
  hasContentLength: boolean;
  /** Names of the framing headers that were dropped (for a debug log). */
  dropped: string[] | undefined;
  /** The app asked for `connection: close`: honoured by not keeping the connection alive. */
  close: boolean;
  /**
   * The app's own `connection: keep-alive` value (HTTP/1.x). Node writes an
   * app-set `Connection` header as given and then adds no `Keep-Alive:
   * timeout=N`; the writer hands it to Node only when the server keeps the
   * connection alive anyway, so the server's policy (shutdown, HTTP/1.0,
   * errors) still decides.
   */
  keepAlive: string | undefined;
}

const KEEP_ALIVE_ONLY = /^\s*keep-alive\s*$/i;

// Connection-specific fields HTTP/2 forbids (RFC 9113 §8.2.2); Node's http2 throws on them.
const HTTP2_FORBIDDEN = new Set(['keep-alive', 'upgrade', 'proxy-connection']);

/**
 * Flattens `headers`. `knownLength` (the whole body's size, when the server
 * knows it) becomes `content-length` unless the app set one or trailers are
 * promised (those need chunked framing). On HTTP/2 the connection-specific
 * fields are dropped too, except `te: trailers`.
 */
export function buildHead(
  headers: readonly HeaderPair[],
  knownLength: number | undefined,
  trailers: boolean,
  http2 = false,
  names?: readonly string[],
): HeadInfo {
  const flat: string[] = [];
  let hasContentLength = false;
  let upgrade = false;
  let dropped: string[] | undefined;
  let close = false;
  let keepAlive: string | undefined;
  for (let i = 0; i < headers.length; i++) {
    const pair = headers[i] as HeaderPair;
    const name = pair[0];
    if (name === 'transfer-encoding' || name === 'connection') {
      if (!http2 && name === 'connection' && /(?:^|,)\s*close\s*(?:,|$)/i.test(pair[1])) close = true;
      else if (!http2 && name === 'connection' && keepAlive === undefined && KEEP_ALIVE_ONLY.test(pair[1])) keepAlive = pair[1];
      else (dropped ??= []).push(name);
      continue;
    }
    if (http2 && (HTTP2_FORBIDDEN.has(name) || (name === 'te' && pair[1].trim().toLowerCase() !== 'trailers'))) {
      (dropped ??= []).push(name);
      continue;
    }
    if (name === 'content-length') hasContentLength = true;
    else if (name === 'upgrade') upgrade = true;
    // `header_case` (HTTP/1.x): the name as the app spelled it; Node writes names as given.
    flat.push(names === undefined ? name : (names[i] as string), pair[1]);
  }
  // RFC 9110 §7.8: an Upgrade header field in a response needs "Connection: upgrade".
  if (upgrade) flat.push('connection', 'upgrade');
  if (knownLength !== undefined && !hasContentLength && !trailers) flat.push('content-length', String(knownLength));
  return { flat, hasContentLength, dropped, close, keepAlive: close ? undefined : keepAlive };
}

/** True when `headers` has `name` (already lower-case). */
export function hasHeader(headers: readonly HeaderPair[], name: string): boolean {
  for (let i = 0; i < headers.length; i++) if ((headers[i] as HeaderPair)[0] === name) return true;
  return false;
}
