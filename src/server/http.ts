/**
 * The Node server itself: `node:http` (or `node:https` with TLS) configured
 * with the limits and timeouts of `ResolvedConfig`, requests to the HTTP
 * handler, WebSocket upgrades to the WebSocket handler.
 */
import http, { type IncomingMessage, type RequestListener, type Server, ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ResolvedConfig } from './config.js';
import { isWebSocketUpgrade, type WebSocketHandler } from '../adapter/websocket/index.js';
import { ALPN_PROTOCOLS, attachHttp2 } from './http2/server.js';
import { webSocketOverHttp2 } from './http2/websocket.js';

export type NodeServer = Server | https.Server;

export function createNodeServer(
  config: ResolvedConfig,
  listener: RequestListener,
  websocket: WebSocketHandler,
): NodeServer {
  const requestTimeout = config.requestTimeout * 1000;
  // Node refuses a headersTimeout above a non-zero requestTimeout.
  const headersTimeout = requestTimeout > 0 ? Math.min(config.headersTimeout * 1000, requestTimeout) : config.headersTimeout * 1000;
  const options: http.ServerOptions = {
    maxHeaderSize: config.maxHeaderSize,
    requestTimeout,
    headersTimeout,
    keepAliveTimeout: config.timeoutKeepAlive * 1000,
    // Node checks the two timeouts above on this interval (default 30 s); short timeouts need a finer one.
    connectionsCheckingInterval: Math.max(250, Math.min(30_000, Math.min(headersTimeout || 30_000, requestTimeout || 30_000) / 4)),
  };
  const server: NodeServer = config.tls
    ? https.createServer({ ...config.tls, ...options, ...(config.http2 ? { ALPNProtocols: ALPN_PROTOCOLS } : {}) }, listener)
    : http.createServer(options, listener);

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (isWebSocketUpgrade(req)) websocket.handleUpgrade(req, socket, head);
    else answerAsHttp(listener, req, socket);
  });
  if (config.http2) attachHttp2(server, config, config.http2, listener, webSocketOverHttp2(websocket));
  return server;
}

/**
 * Node sends every `Upgrade:` request to 'upgrade' once a listener exists. An
 * upgrade we do not speak (h2c, ...) must be ignored, i.e. answered as plain
 * HTTP; Node no longer gives it a response, so attach one to the socket.
 * The connection is not reused afterwards (the parser is gone).
 */
function answerAsHttp(listener: RequestListener, req: IncomingMessage, socket: Duplex): void {
  const res = new ServerResponse(req);
  res.assignSocket(socket as Socket);
  res.shouldKeepAlive = false;
  socket.on('error', ignore);
  // Stay attached: the socket's 'close' is what makes `res` emit 'close', which the adapter waits for.
  res.on('finish', () => (socket as Socket).destroySoon());
  // The parser stopped at the upgrade: nothing of a body will come.
  if (!req.complete) req.push(null);
  listener(req, res);
}

function ignore(): void {}
