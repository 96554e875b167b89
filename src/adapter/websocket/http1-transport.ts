/**
 * The HTTP/1.1 Upgrade transport of a WebSocket session: `ws` in `noServer`
 * mode writes the 101 only when the app sends `websocket.accept`, with the
 * subprotocol and headers the app chose; a refusal is a `ServerResponse`
 * attached to the raw socket.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { NativeUpgrade } from '../../_internal/native-upgrade.js';
import type { ConnectionController } from '../../protocol/connection.js';
import type { HeaderPair, WebSocketScope } from '../../protocol/types.js';
import { answeredElsewhere } from './handshake.js';
import { websocketScope } from './scope.js';
import type { WebSocketSettings } from './session.js';
import type { RefusalWriter, WebSocketTransport } from './transport.js';
import { UpgradeResponse } from './upgrade-response.js';

/** What the app chose in `websocket.accept`, read back by `ws` while it writes the 101. */
interface AcceptedHandshake {
  subprotocol: string | undefined;
  headers: HeaderPair[];
}

/** One `ws` server (noServer) shared by every handshake of a handler. */
export class Http1Handshakes {
  private readonly accepted = new WeakMap<IncomingMessage, AcceptedHandshake>();
  private readonly wss: WebSocketServer;

  constructor(settings: WebSocketSettings) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: settings.perMessageDeflate === true,
      maxPayload: settings.maxMessageSize,
      handleProtocols: (_offered, req) => this.accepted.get(req)?.subprotocol ?? false,
      // Our own close timer runs first and knows the reason (close_timeout); ws's is only a backstop.
      ...({ closeTimeout: settings.closeTimeout * 1000 + 1000 } as object),
    });
    this.wss.on('headers', (lines: string[], req: IncomingMessage) => {
      for (const [name, value] of this.accepted.get(req)?.headers ?? []) lines.push(`${name}: ${value}`);
    });
  }

  /** Writes the 101 for `req` and calls `onOpen` synchronously (ws destroys a socket already gone). */
  complete(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    accepted: AcceptedHandshake,
    onOpen: (ws: WebSocket) => void,
  ): void {
    this.accepted.set(req, accepted);
    this.wss.handleUpgrade(req, socket, head, onOpen);
  }
}

export interface Http1TransportOptions {
  handshakes: Http1Handshakes;
  settings: WebSocketSettings;
  /** Mount prefix (decoded, no trailing slash) prepended to `raw_path`. */
  rootPath: string;
  /** Lifespan state, shallow-copied into the scope. */
  state: Record<string, unknown>;
  accessLog?: ((req: IncomingMessage, status: number) => void) | undefined;
  /** Last word on the scope before the app sees it (the server's trusted proxy headers). */
  adjustScope?: ((scope: WebSocketScope) => void) | undefined;
}

export class Http1Transport implements WebSocketTransport {
  readonly logAccess?: (status: number) => void;
  readonly native: NativeUpgrade;

  constructor(
    private readonly options: Http1TransportOptions,
    private readonly req: IncomingMessage,
    readonly socket: Duplex,
    private readonly head: Buffer,
  ) {
    this.native = { req, socket, head };
    const accessLog = options.accessLog;
    if (accessLog) this.logAccess = (status) => accessLog(req, status);
  }

  scope(connection: ConnectionController): WebSocketScope {
    const scope = websocketScope(this.req, {
      rootPath: this.options.rootPath,
      state: this.options.state,
      connection,
      maxMessageSize: this.options.settings.maxMessageSize,
      maxQueue: this.options.settings.maxQueue,
    });
    this.options.adjustScope?.(scope);
    return scope;
  }

  accept(subprotocol: string | undefined, headers: HeaderPair[], onOpen: (ws: WebSocket) => void): void {
    this.options.handshakes.complete(this.req, this.socket, this.head, { subprotocol, headers }, onOpen);
  }

  refusal(): RefusalWriter {
    return new UpgradeResponse(this.req, this.socket);
  }

  answeredElsewhere(): boolean {
    return answeredElsewhere(this.socket);
  }
}
