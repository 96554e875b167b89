/**
 * `serve()` on 127.0.0.1:0 for in-process tests, with a capturing logger and
 * an optional lifespan `state` filled by a wrapper around the app.
 */
import type { App } from '../../src/protocol/types.js';
import type { ServeOptions } from '../../src/server/config.js';
import { createLogger } from '../../src/server/logger.js';
import { serve, type ServerHandle } from '../../src/server/serve.js';

export interface TestServer {
  handle: ServerHandle;
  port: number;
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

export interface TestServerOptions extends ServeOptions {
  /** Lifespan state to install at startup (the app's own lifespan handling is bypassed). */
  state?: Record<string, unknown>;
  /** Log lines land here instead of stderr (dropped when absent). */
  logSink?: string[];
}

export async function startTestServer(app: App, options: TestServerOptions = {}): Promise<TestServer> {
  const { state, logSink, ...serveOptions } = options;
  const logger = createLogger('debug', (line) => void logSink?.push(line));
  const handle = await serve(state ? withState(app, state) : app, { logger, ...serveOptions, port: 0 });
  const port = handle.address.port;
  return {
    handle,
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    close: () => handle.close(),
  };
}

/** Answers the lifespan scope itself, filling `state`; other scopes go to `app`. */
export function withState(app: App, state: Record<string, unknown>): App {
  return async (scope, receive, send) => {
    if (scope.type !== 'lifespan') return app(scope, receive, send);
    await receive();
    Object.assign(scope.state, state);
    await send({ type: 'lifespan.startup.complete' });
    await receive();
    await send({ type: 'lifespan.shutdown.complete' });
  };
}
