/**
 * `fromExpress(handler, options?)`: any Connect-style handler — an Express or
 * Connect app, a Router, or a single `(req, res, next)` middleware — as a
 * PAGI `App` (PROTOCOL.md §12.1, §12.2).
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

/**
 * Wraps `handler` as a PAGI app. Each `http`/`sse` scope gets a real
 * `IncomingMessage`/`ServerResponse` pair; the app settles when the response
 * has finished or closed. Handlers reach the scope as `req.pagi.scope` and
 * its lifespan state copy as `req.pagi.state`.
 */
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
