/**
 * WebSocket over HTTP/2 (RFC 8441): an extended CONNECT stream with
 * `:protocol: websocket` becomes a `websocket` scope run by the same
 * `WebSocketSession` as an HTTP/1.1 upgrade. The stream is the transport:
 * accepting answers `:status 200` (no `Sec-WebSocket-Accept`: RFC 8441 has
 * no key), then `ws` frames messages on the stream as it would on a socket;
 * a refusal is an ordinary response on the stream. Resetting the stream ends
 * that scope only; the session's other streams carry on.
 *
 * permessage-deflate is not negotiated here: `ws` keeps its extension
 * handshake inside its HTTP/1.1 server, so over HTTP/2 messages go uncompressed.
 */
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse, ServerHttp2Stream } from 'node:http2';
import { WebSocket } from 'ws';
import type { ConnectionController } from '../../protocol/connection.js';
import type { HeaderPair, WebSocketScope } from '../../protocol/types.js';
import { websocketScope, type RefusalWriter, type WebSocketHandler, type WebSocketScopeSettings, type WebSocketTransport } from '../../adapter/websocket/index.js';
import { buildHead } from '../../adapter/response-head.js';
import { headerObject, Http2Refusal } from './websocket-refusal.js';
import type { ConnectHandler } from './server.js';

// RFC 6455 §4.1: subprotocol values are tokens.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The `connect` handler for extended CONNECT streams: WebSocket ones to `handler`, other protocols 501. */
export function webSocketOverHttp2(handler: WebSocketHandler): ConnectHandler {
  return (req, res) => {
    const problem = handshakeProblem(req);
    if (problem !== undefined) {
      const refusal = new Http2Refusal(res);
      const [status, text, extra] = problem;
      void refusal.plain(status, text, extra);
      return;
    }
    handler.start(new Http2Transport(handler.scopeOptions, req, res));
  };
}

/** RFC 8441 §5 (with RFC 6455 §4.1's version and subprotocol rules), or `undefined` when valid. */
function handshakeProblem(req: Http2ServerRequest): [number, string, Array<[string, string]>] | undefined {
  if (req.headers[':protocol'] !== 'websocket') return [501, `Protocol ${String(req.headers[':protocol'])} is not supported`, []];
  if (req.headers['sec-websocket-version'] !== '13') {
    return [400, 'Missing or invalid Sec-WebSocket-Version header', [['sec-websocket-version', '13']]];
  }
  const protocols = req.headers['sec-websocket-protocol'];
  if (protocols !== undefined && !protocols.split(',').every((p) => TOKEN.test(p.trim()))) {
    return [400, 'Invalid Sec-WebSocket-Protocol header', []];
  }
  return undefined;
}

class Http2Transport implements WebSocketTransport {
  readonly socket: ServerHttp2Stream;
  readonly logAccess?: (status: number) => void;

  constructor(
    private readonly options: WebSocketScopeSettings,
    private readonly req: Http2ServerRequest,
    private readonly res: Http2ServerResponse,
  ) {
    this.socket = req.stream;
    const accessLog = options.accessLog;
    if (accessLog) this.logAccess = (status) => accessLog(req as unknown as IncomingMessage, status);
  }

  scope(connection: ConnectionController): WebSocketScope {
    const { settings } = this.options;
    // The compat request has the IncomingMessage fields the scope reads (url, rawHeaders, httpVersion, socket).
    const scope = websocketScope(this.req as unknown as IncomingMessage, {
      rootPath: this.options.rootPath,
      state: this.options.state,
      connection,
      maxMessageSize: settings.maxMessageSize,
      maxQueue: settings.maxQueue,
    });
    this.options.adjustScope?.(scope);
    return scope;
  }

  accept(subprotocol: string | undefined, headers: HeaderPair[], onOpen: (ws: WebSocket) => void): void {
    const stream = this.socket;
    if (stream.destroyed || stream.closed) {
      stream.destroy();
      return;
    }
    const head = headerObject(buildHead(headers, undefined, false, true).flat, { ':status': 200 });
    if (subprotocol !== undefined) head['sec-websocket-protocol'] = subprotocol;
    stream.respond(head);
    const { settings } = this.options;
    const options = {
      allowSynchronousEvents: true,
      autoPong: true,
      maxPayload: settings.maxMessageSize,
      skipUTF8Validation: false,
      // Our own close timer runs first and knows the reason (close_timeout); ws's is only a backstop.
      closeTimeout: settings.closeTimeout * 1000 + 1000,
    };
    // A server-side WebSocket on a stream we answered ourselves, exactly as ws's server builds one after its 101.
    const ws = new WebSocket(null as unknown as string, undefined, options) as WebSocket & ServerSide;
    if (subprotocol !== undefined) ws._protocol = subprotocol;
    ws.setSocket(stream, Buffer.alloc(0), options);
    onOpen(ws);
  }

  refusal(): RefusalWriter {
    return new Http2Refusal(this.res);
  }

  /** A stream has one reader: nothing else on the server answers it. */
  answeredElsewhere(): boolean {
    return false;
  }
}

/** The `ws` internals its own server uses to adopt an answered socket. */
interface ServerSide {
  _protocol: string;
  setSocket(socket: ServerHttp2Stream, head: Buffer, options: object): void;
}
