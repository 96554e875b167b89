/**
 * `toExpress(app)`: a PAGI app as Express/Connect middleware, e.g.
 * `expressApp.use('/api', toExpress(pagiApp))` (PROTOCOL.md §3.3, §12.3).
 *
 * - `root_path` is the decoded `req.baseUrl`, `path` the decoded path of
 *   `req.url` (below the mount), `raw_path`/`query_string` come from
 *   `req.originalUrl` (the full path).
 * - Headers earlier middleware set on `res` (cors, helmet, sessions) stay:
 *   a name the PAGI app also sets is replaced by the app's value, except
 *   `set-cookie`, whose values are appended. `writeHead` hooks (`on-headers`)
 *   still run, and Express never sends a second response.
 * - An app failure before any response goes to `next(err)`, so Express's
 *   error handling answers it.
 * - `fallthrough: true`: a `404` start is not written; `next()` is called and
 *   the 404's body events are accepted and discarded. An app that returns
 *   without any response also falls through.
 * - A body already consumed by earlier middleware (`express.json()`,
 *   `express.raw()`, `express.text()`, `express.urlencoded()`) is replayed from
 *   `req.body` as one `http.request` event; see `replayableBody`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App, HTTPScope, SSEScope } from '../protocol/types.js';
import type { ExchangeHooks } from './exchange.js';
import { createExchange, startExchange } from './node-listener.js';
import { resolveOptions, type AdapterOptions } from './options.js';
import { decodePath } from '../protocol/paths.js';
import { splitTarget } from './paths.js';

export interface ToExpressOptions extends AdapterOptions {
  /** Let Express handle the request when the PAGI app answers 404 (or not at all). Default false. */
  fallthrough?: boolean;
}

/** The Express additions to `IncomingMessage` this adapter reads. */
export interface ExpressRequestLike extends IncomingMessage {
  baseUrl?: string;
  originalUrl?: string;
  /** Set by body parsers. */
  body?: unknown;
  /** body-parser's "already parsed" flag. */
  _body?: boolean;
}

export type ExpressNext = (error?: unknown) => void;
export type ExpressMiddleware = (req: IncomingMessage, res: ServerResponse, next: ExpressNext) => void;

/** Wraps a PAGI app (`http` and `sse` scopes) as Express middleware. */
export function toExpress(app: App, options?: ToExpressOptions): ExpressMiddleware {
  if (typeof app !== 'function') throw new TypeError('toExpress(app): app must be a function');
  const resolved = resolveOptions(options);
  const fallthrough = options?.fallthrough === true;
  return function pagiMiddleware(incoming: IncomingMessage, res: ServerResponse, next: ExpressNext): void {
    const req = incoming as ExpressRequestLike;
    const hooks: ExchangeHooks = {
      writeHead: mergeAndWriteHead,
      unanswered: (failed, error) => {
        if (failed) next(error);
        else if (fallthrough) next();
        else return false;
        return true;
      },
    };
    if (fallthrough) hooks.fallthrough = () => next();
    const exchange = createExchange(req, res, resolved, hooks);
    applyMountPaths(exchange.scope, req, resolved.rootPath, resolved.rawRootPath);
    if (req._body === true || req.readableEnded) {
      const body = replayableBody(req);
      exchange.reader.replay(body);
      setContentLength(exchange.scope, body.length);
    }
    startExchange(app, exchange);
  };
}

/** §3.3 under a mount: PSGI-style `root_path` + `path`, full `raw_path`. */
function applyMountPaths(scope: HTTPScope | SSEScope, req: ExpressRequestLike, rootPath: string, rawRootPath: string): void {
  const full = splitTarget(req.originalUrl ?? req.url ?? '/');
  const below = splitTarget(req.url ?? '/');
  scope.raw_path = rootPath === '' ? full.rawPath : rawRootPath + full.rawPath;
  scope.query_string = full.queryString;
  scope.root_path = rootPath + decodePath(req.baseUrl ?? '');
  scope.path = below.rawPath === '*' ? '*' : decodePath(below.rawPath);
}

/**
 * The bytes to replay for a body earlier middleware consumed: a `Buffer`
 * (`express.raw()`) as is, a string (`express.text()`) as UTF-8, a parsed
 * JSON value as `JSON.stringify`, a parsed urlencoded object re-encoded as
 * `application/x-www-form-urlencoded` (flat values and arrays; nested
 * objects fall back to JSON). Nothing usable → an empty body. The app sees
 * equivalent content, not necessarily the original bytes.
 */
export function replayableBody(req: ExpressRequestLike): Buffer {
  const body = req.body;
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  if (type.includes('application/x-www-form-urlencoded') && typeof body === 'object') {
    const form = formEncode(body as Record<string, unknown>);
    if (form !== undefined) return Buffer.from(form, 'latin1');
  }
  // A JSON parser left `{}` for an empty body; replay nothing rather than "{}".
  if (typeof body === 'object' && Object.keys(body).length === 0 && !type.includes('json')) return Buffer.alloc(0);
  return Buffer.from(JSON.stringify(body), 'utf8');
}

function formEncode(body: Record<string, unknown>): string | undefined {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string') params.append(key, value);
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) for (const v of value) params.append(key, v);
    else return undefined;
  }
  return params.toString();
}

/** The scope describes the body the app will receive. */
function setContentLength(scope: HTTPScope | SSEScope, length: number): void {
  const headers = scope.headers.filter(([name]) => name !== 'content-length' && name !== 'transfer-encoding');
  headers.push(['content-length', String(length)]);
  scope.headers = headers;
}

/**
 * Writes the head through Express's `res`, keeping what middleware set: the
 * app's value replaces a header of the same name, `set-cookie` is appended.
 * `res.writeHead` is called on the instance so `on-headers` hooks run.
 */
function mergeAndWriteHead(res: ServerResponse, status: number, flat: string[], reason: string | undefined): void {
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string;
    if (name !== 'set-cookie') res.removeHeader(name);
  }
  for (let i = 0; i < flat.length; i += 2) res.appendHeader(flat[i] as string, flat[i + 1] as string);
  if (reason === undefined) res.writeHead(status);
  else res.writeHead(status, reason);
}
