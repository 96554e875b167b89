/**
 * `http2: true`: HTTP/2 next to HTTP/1.1 on the server `serve()` listens
 * with. A `node:http2` server that never listens owns the HTTP/2 sessions;
 * the dispatcher hands it the connections that speak HTTP/2 (ALPN `h2`, or
 * the h2c preface). Requests reach the same listener as HTTP/1.1 through
 * Node's compatibility API (`Http2ServerRequest`/`Http2ServerResponse`),
 * so the adapter serves both; extended CONNECT (RFC 8441) reaches the
 * WebSocket handler.
 *
 * Shutdown goes through the HTTP/1 server's own two hooks, which here also
 * cover HTTP/2: `closeIdleConnections()` sends GOAWAY (open streams finish),
 * `closeAllConnections()` cuts every session.
 */
import http2, { type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Stream } from 'node:http2';
import type { RequestListener } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import type { ResolvedConfig } from '../config.js';
import type { ResolvedHttp2Options } from './options.js';
import { dispatchByAlpn, dispatchByPreface } from './dispatch.js';
import { Http2Sessions } from './sessions.js';

/** What HTTP/2 needs of the HTTP/1 server it joins. */
interface ClosingServer extends NetServer {
  closeIdleConnections(): void;
  closeAllConnections(): void;
}

/** Handles an extended CONNECT stream (`:protocol` set); the answer is its own. */
export type ConnectHandler = (req: Http2ServerRequest, res: Http2ServerResponse) => void;

/** The ALPN list a TLS server with HTTP/2 offers: h2 preferred, HTTP/1.1 for the rest. */
export const ALPN_PROTOCOLS = ['h2', 'http/1.1'];

export function attachHttp2(
  server: ClosingServer,
  config: ResolvedConfig,
  options: ResolvedHttp2Options,
  listener: RequestListener,
  onConnect: ConnectHandler,
): Http2Sessions {
  const sessions = new Http2Sessions(config.timeoutKeepAlive * 1000, options.maxRapidResets, config.logger);
  const h2 = http2.createServer({
    maxSessionMemory: 10,
    settings: {
      maxConcurrentStreams: options.maxConcurrentStreams,
      maxHeaderListSize: options.maxHeaderListSize,
      enableConnectProtocol: true,
    },
  });
  const compat = listener as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void;
  h2.on('session', (session) => sessions.add(session));
  h2.on('stream', (stream: ServerHttp2Stream) => sessions.addStream(stream));
  h2.on('request', compat);
  // The adapter sends `100 Continue` when the app first reads (as on HTTP/1.1).
  h2.on('checkContinue', compat);
  h2.on('connect', (req: Http2ServerRequest, res: Http2ServerResponse) => {
    if (req.headers[':protocol'] !== undefined) onConnect(req, res);
    else refuseConnect(res);
  });
  const toHttp2 = (socket: Socket) => h2.emit('connection', socket);
  const dispatcher = config.tls
    ? dispatchByAlpn(server, toHttp2)
    : dispatchByPreface(server, toHttp2, config.headersTimeout * 1000);

  const closeIdle = server.closeIdleConnections.bind(server);
  const closeAll = server.closeAllConnections.bind(server);
  server.closeIdleConnections = () => {
    closeIdle();
    sessions.closeGracefully();
    for (const socket of dispatcher.undecided) socket.destroy();
  };
  server.closeAllConnections = () => {
    closeAll();
    sessions.destroyAll();
    for (const socket of dispatcher.undecided) socket.destroy();
  };
  return sessions;
}

/** Plain CONNECT (a tunnel) is not something this server does. */
function refuseConnect(res: Http2ServerResponse): void {
  res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', 'content-length': '18' });
  res.end('Method Not Allowed');
}
