/**
 * HTTP and SSE requests of `serve()`: the adapter's per-request path with the
 * lifespan state, proxy headers, the request limits, the access log
 * (`onResponseEnd`), and the adapter's registry of in-flight exchanges so
 * shutdown can end SSE streams and wait for the rest.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createExchange, LiveExchanges, resolveOptions, startExchange, type AdapterOptions } from '../adapter/index.js';
import type { App } from '../protocol/types.js';
import type { ResolvedConfig } from './config.js';
import { refuseOverLimit, type RequestLimits } from './limits.js';
import { applyProxyHeaders } from './proxy-headers.js';

export interface HttpHandler {
  listener(req: IncomingMessage, res: ServerResponse): void;
  /** Exchanges not finished yet (app settled and response closed). */
  readonly inFlight: number;
  /**
   * Shutdown: streaming SSE scopes end with `server_shutdown`, responses stop
   * keeping their connection alive. Idempotent; called again while draining,
   * it also ends streams that started meanwhile.
   */
  shutdown(): void;
  /** Resolves when nothing is in flight. */
  idle(): Promise<void>;
}

export function createHttpHandler(
  app: App,
  config: ResolvedConfig,
  state: Record<string, unknown>,
  limits?: RequestLimits,
): HttpHandler {
  const adapterOptions: AdapterOptions = {
    rootPath: config.rootPath,
    maxBodySize: config.maxBodySize,
    sendTimeout: config.sendTimeout,
    logger: config.logger,
  };
  const accessLog = config.accessLog;
  const startedAt = new WeakMap<IncomingMessage, number>();
  if (accessLog || limits) {
    adapterOptions.onResponseEnd = (info) => {
      limits?.release();
      accessLog?.({
        req: info.req,
        status: info.status,
        bodyBytes: info.bodyBytes,
        client: info.scope.client,
        startedAt: startedAt.get(info.req) ?? performance.now(),
      });
    };
  }
  const options = resolveOptions(adapterOptions);
  const live = new LiveExchanges();
  const trust = config.proxyTrust;
  return {
    listener(req, res) {
      if (limits && !limits.admit()) {
        refuseOverLimit(res);
        return;
      }
      if (accessLog) startedAt.set(req, performance.now());
      const exchange = createExchange(req, res, options, undefined, state, live);
      if (trust) applyProxyHeaders(trust, exchange.scope);
      startExchange(app, exchange);
    },
    get inFlight() {
      return live.size;
    },
    shutdown() {
      live.shutdown();
    },
    idle() {
      return live.idle();
    },
  };
}
