/**
 * A server with only the WebSocket side wired (HTTP requests get 404), for
 * testing src/server/websocket*.ts in isolation from the HTTP adapter.
 */
import type { AddressInfo } from 'node:net';
import type { App } from '../../src/protocol/types.js';
import { resolveConfig, type ServeOptions } from '../../src/server/config.js';
import { createNodeServer } from '../../src/server/http.js';
import { createLogger } from '../../src/server/logger.js';
import { createWebSocketHandler } from '../../src/server/websocket.js';

export interface TestServer {
  port: number;
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

export async function startTestServer(
  app: App,
  options: ServeOptions & { state?: Record<string, unknown>; logSink?: string[] } = {},
): Promise<TestServer> {
  const { state = {}, logSink, ...serveOptions } = options;
  const logger = createLogger('debug', (line) => (logSink ? logSink.push(line) : undefined));
  const config = resolveConfig({ ...serveOptions, port: 0, logger });
  const websocket = createWebSocketHandler({
    app,
    logger,
    settings: config.websocket,
    rootPath: config.rootPath,
    state: () => state,
  });
  const server = createNodeServer(
    config,
    (_req, res) => {
      res.statusCode = 404;
      res.end();
    },
    websocket,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    async close() {
      websocket.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
