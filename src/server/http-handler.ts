/**
 * HTTP and SSE requests of `serve()`: the adapter's per-request path with the
 * lifespan state, the access log (`onResponseEnd`), and the adapter's registry
 * of in-flight exchanges so shutdown can end SSE streams and wait for the rest.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleRequest, LiveExchanges, resolveOptions, type AdapterOptions } from '../adapter/index.js';
import type { App } from '../protocol/types.js';
import { accessLogLine } from './access-log.js';
import type { ResolvedConfig } from './config.js';

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

export function createHttpHandler(app: App, config: ResolvedConfig, state: Record<string, unknown>): HttpHandler {
  const adapterOptions: AdapterOptions = {
    rootPath: config.rootPath,
    maxBodySize: config.maxBodySize,
    sendTimeout: config.sendTimeout,
    logger: config.logger,
  };
  const write = config.accessLog;
  if (write) adapterOptions.onResponseEnd = (info) => write(accessLogLine(info.req, info.status, info.bodyBytes));
  const options = resolveOptions(adapterOptions);
  const live = new LiveExchanges();
  return {
    listener(req, res) {
      handleRequest(app, req, res, options, state, live);
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
