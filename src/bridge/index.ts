/**
 * `fromExpress(handler, options?)`: any Connect-style handler — an Express or
 * Connect app, a Router, or a single `(req, res, next)` middleware — as a
 * PAGI `App` (PROTOCOL.md §12.1, §12.2).
 *
 * - Each `http`/`sse` scope gets a real `http.IncomingMessage` and a real
 *   `http.ServerResponse` over a stub socket; the body is pulled from
 *   `receive()` as Express reads it, and the response is captured before Node
 *   would serialise it and sent as `http.response.*` events (an `sse` scope
 *   is answered the same way: the refusal path of §6.4).
 * - The app settles when the response has finished or closed (or, if the
 *   handler is still reading the request body, when that stream is done) —
 *   not when the handler returns.
 * - Handlers reach PAGI through one name: `req.pagi.scope` (the scope) and
 *   `req.pagi.state` (its copy of the lifespan state). Non-enumerable.
 * - A final `next()` from a bare Router or middleware answers 404 exactly as
 *   finalhandler would (`cascade` treats that 404 as a decline); `next(err)`
 *   answers the error's status (default 500). Express and Connect apps run
 *   their own finalhandler, as on `node:http`.
 * - `lifespan` is acknowledged (optional `onStartup`/`onShutdown` hooks; a
 *   throwing hook answers `*.failed` with its message); `websocket` scopes are
 *   refused with `403`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from '../protocol/types.js';
import type { NodeHandler } from './completion.js';
import { dispatchScope, type LifespanHooks } from './scope-policy.js';

export type { NodeHandler, NextFunction } from './completion.js';
export type { PagiRequestContext } from './fake-request.js';
export type { LifespanHooks } from './scope-policy.js';

export interface FromExpressOptions extends LifespanHooks {
  /**
   * Bytes queued towards `send()` at which `res.write()` starts returning
   * false (then `'drain'` follows). Default 16 KiB, Node's own default.
   */
  highWaterMark?: number;
  /**
   * For bare routers and middleware only (apps run their own finalhandler):
   * like finalhandler's `env`, anything but `'production'` puts the error's
   * stack in the final error page. Default `process.env.NODE_ENV || 'development'`.
   */
  env?: string;
  /** For bare routers and middleware: called with each error that reached the final `next(err)`. */
  onError?: (error: unknown, req: IncomingMessage, res: ServerResponse) => void;
}

const DEFAULT_HIGH_WATER_MARK = 16 * 1024;

/** Wraps `handler` as a PAGI app (see the module comment for the policy per scope type). */
export function fromExpress(handler: NodeHandler, options: FromExpressOptions = {}): App {
  if (typeof handler !== 'function') {
    throw new TypeError(`fromExpress: expected a (req, res, next) handler, got ${typeof handler}`);
  }
  const policy = {
    highWaterMark: options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK,
    final: { env: options.env ?? (process.env.NODE_ENV || 'development'), onError: options.onError },
    onStartup: options.onStartup,
    onShutdown: options.onShutdown,
  };
  return function expressApp(scope, receive, send) {
    return dispatchScope(handler, scope, receive, send, policy);
  };
}
