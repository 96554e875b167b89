/**
 * The adapter's half of the bridge's direct path (see
 * `_internal/native-exchange.ts`): decides whether an exchange may hand its
 * Node request/response to `fromExpress`, and keeps what the adapter still
 * owes after the handover — `sendTimeout` and the `onResponseEnd` report's
 * status and body bytes — by watching `res.write`/`res.end`.
 */
import type { ServerResponse } from 'node:http';
import { markNativeSend, type NativeExchange, type NativePair } from '../_internal/native-exchange.js';
import type { Exchange } from './exchange.js';

/** Node's 100-continue bookkeeping on ServerResponse (lib/_http_server.js). */
type ContinueResponse = ServerResponse & { _expect_continue?: boolean; _sent100?: boolean };

/**
 * One per exchange without host hooks. Remembers the scope's request target
 * and headers as built, so a scope rewritten in place by something between
 * the adapter and the bridge is noticed and served the protocol way.
 */
class NativeHandover implements NativeExchange {
  private readonly exchange: Exchange;
  private readonly headers: unknown;
  private readonly headerCount: number;
  private readonly rawPath: string;
  private readonly query: string;
  private readonly path: string;
  private readonly scheme: string;
  private readonly clientHost: string | undefined;
  private readonly clientPort: number | undefined;

  constructor(exchange: Exchange) {
    const scope = exchange.scope;
    this.exchange = exchange;
    this.headers = scope.headers;
    this.headerCount = scope.headers.length;
    this.rawPath = scope.raw_path;
    this.query = scope.query_string;
    this.path = scope.path;
    this.scheme = scope.scheme;
    this.clientHost = scope.client?.[0];
    this.clientPort = scope.client?.[1];
  }

  adopt(scope: unknown, receive: unknown): NativePair | undefined {
    const exchange = this.exchange;
    const own = exchange.scope;
    if (scope !== own || receive !== exchange.receive || exchange.adopted) return undefined;
    if (
      own.type !== 'http' ||
      own.root_path !== '' ||
      own.headers !== this.headers ||
      own.headers.length !== this.headerCount ||
      own.raw_path !== this.rawPath ||
      own.query_string !== this.query ||
      own.path !== this.path ||
      own.method !== exchange.req.method ||
      // A server's trusted proxy headers rewrite client/scheme in place: Node's req.socket would then
      // tell Express (req.ip, req.protocol) the proxy's address, so such a scope takes the protocol way.
      own.scheme !== this.scheme ||
      own.client?.[0] !== this.clientHost ||
      own.client?.[1] !== this.clientPort ||
      (!isOriginForm(exchange.req.url, own.raw_path, own.query_string) && own.extensions.request_target?.target !== exchange.req.url)
    ) {
      return undefined;
    }
    const options = exchange.options;
    const res = exchange.res as ContinueResponse;
    // maxBodySize is enforced by receive(); a lazy 100 Continue (serve()) is sent by receive().
    if (options.maxBodySize > 0 || (res._expect_continue === true && res._sent100 !== true)) return undefined;
    if (!exchange.handOver()) return undefined;
    if (options.sendTimeoutMs > 0 || options.onResponseEnd !== undefined) watchWrites(exchange, options.sendTimeoutMs);
    return exchange;
  }
}

/**
 * The request target is exactly `raw_path[?query]`: Express then sees the same
 * `req.url` as the fake path gives it. Any other target (absolute-form, a bare
 * `?`) is handed over only while the scope's `request_target` still names it,
 * from which the fake path would rebuild the same `req.url`.
 */
function isOriginForm(url: string | undefined, rawPath: string, query: string): boolean {
  if (url === undefined || !url.startsWith(rawPath)) return false;
  if (query === '') return url.length === rawPath.length;
  return url.length === rawPath.length + 1 + query.length && url.charCodeAt(rawPath.length) === 63 && url.endsWith(query);
}

/** Called by createExchange for every exchange the bridge may take over. */
export function offerNativeExchange(exchange: Exchange): void {
  markNativeSend(exchange.send, new NativeHandover(exchange));
}

type Write = ServerResponse['write'];
type End = ServerResponse['end'];

/**
 * Counts body bytes for `onResponseEnd`, and applies `sendTimeout` as the
 * protocol path does: a write Node could not take (`false`) that is not
 * drained within the timeout ends the scope with `write_timeout` and destroys
 * the connection. Own properties, like compression's, so Express's prototype
 * swap keeps them.
 */
function watchWrites(exchange: Exchange, timeoutMs: number): void {
  const res = exchange.res;
  const write = res.write;
  const end = res.end;
  let timer: NodeJS.Timeout | undefined;
  const clear = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const count = (chunk: unknown, encoding: unknown): void => {
    if (typeof chunk === 'string') exchange.writer.bodyBytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    else if (chunk instanceof Uint8Array) exchange.writer.bodyBytes += chunk.byteLength;
  };
  res.write = function watchedWrite(this: ServerResponse, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    count(chunk, encoding);
    const accepted = (write as (...args: unknown[]) => boolean).call(this, chunk, encoding, cb);
    if (!accepted && timeoutMs > 0 && timer === undefined && !res.destroyed) {
      timer = setTimeout(() => {
        timer = undefined;
        if (res.writableNeedDrain && !res.destroyed) exchange.writeTimedOut();
      }, timeoutMs);
      res.once('drain', clear);
    }
    return accepted;
  } as Write;
  res.end = function watchedEnd(this: ServerResponse, chunk?: unknown, encoding?: unknown, cb?: unknown): ServerResponse {
    if (typeof chunk !== 'function') count(chunk, encoding);
    return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, encoding, cb);
  } as End;
  res.once('close', clear);
}
