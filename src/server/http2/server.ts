/**
 * `http2: true`: HTTP/2 next to HTTP/1.1 on the server `serve()` listens
 * with. A `node:http2` server that never listens owns the HTTP/2 sessions;
 * the dispatcher hands it the connections that speak HTTP/2 (ALPN `h2`, or
 * the h2c preface). Requests reach the same listener as HTTP/1.1 as a
 * request/response pair made on the stream itself (stream-request.ts,
 * stream-response.ts: Node's compat pair costs more than the rest of an
 * exchange); extended CONNECT (RFC 8441) reaches the WebSocket handler on
 * Node's compat pair, which the WebSocket code reads.
 *
 * Shutdown goes through the HTTP/1 server's own two hooks, which here also
 * cover HTTP/2: `closeIdleConnections()` sends GOAWAY (open streams finish),
 * `closeAllConnections()` cuts every session.
 */
import http2, {
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import type { ResolvedConfig } from '../config.js';
import type { ResolvedHttp2Options } from './options.js';
import { dispatchByAlpn, dispatchByPreface } from './dispatch.js';
import { closeTrackedStream, Http2Sessions } from './sessions.js';
import { Http2StreamRequest } from './stream-request.js';
import { closeStreamResponse, Http2StreamResponse } from './stream-response.js';

const kSocket = Symbol('pagi.http2Socket');
type SocketOwner = Http2Session & { [kSocket]?: Socket | undefined };

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
  // The socket a session is being made for: Http2Server makes it, and emits 'session', inside emit('connection').
  let arriving: Socket | undefined;
  h2.on('session', (session: SocketOwner) => {
    session[kSocket] = arriving;
    sessions.add(session);
  });
  // No 'request' listener: Node then builds no compat pair (it does so only for 'request' listeners).
  h2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
    sessions.addStream(stream);
    const socket = (stream.session as SocketOwner | undefined)?.[kSocket];
    if (headers[':method'] === 'CONNECT' || socket === undefined) {
      stream.on('close', onCompatStreamClose);
      const req = new http2.Http2ServerRequest(stream, headers, {}, rawHeaders);
      const res = new http2.Http2ServerResponse(stream);
      if (headers[':protocol'] !== undefined) onConnect(req, res);
      else refuseConnect(res);
      return;
    }
    const req = new Http2StreamRequest(stream, headers, rawHeaders, socket);
    const res = new Http2StreamResponse(stream, req);
    // One 'close' listener for the session tracker and the pair: a second one would make
    // the stream's listener list an array, copied on every emit.
    stream.on('close', onOwnedStreamClose);
    const expect = headers.expect;
    if (expect !== undefined) {
      // As Node's compat layer: 100-continue is the one expectation there is. The adapter
      // sends the 100 when the app first reads (as on HTTP/1.1); anything else is a 417.
      if (expect !== '100-continue') {
        res.statusCode = 417;
        res.end();
        return;
      }
      res._expect_continue = true;
    }
    listener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  });
  const toHttp2 = (socket: Socket) => {
    arriving = socket;
    try {
      h2.emit('connection', socket);
    } finally {
      arriving = undefined;
    }
  };
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

function onCompatStreamClose(this: ServerHttp2Stream): void {
  closeTrackedStream(this);
}

function onOwnedStreamClose(this: ServerHttp2Stream): void {
  closeTrackedStream(this);
  closeStreamResponse(this);
}

/** Plain CONNECT (a tunnel) is not something this server does. */
function refuseConnect(res: Http2ServerResponse): void {
  res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', 'content-length': '18' });
  res.end('Method Not Allowed');
}
