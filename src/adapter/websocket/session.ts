/**
 * One WebSocket scope from the handshake request to the closed socket
 * (PROTOCOL.md §5): the delayed handshake, refusals, the receive queue, sends
 * with backpressure, keepalive, the closing handshake and the end reasons.
 *
 * Shared by every way a WebSocket reaches a PAGI app: `serve()` and
 * `toUpgradeListener` (HTTP/1.1 Upgrade) and HTTP/2 extended CONNECT. What
 * differs between them — how the handshake is answered, how a refusal is
 * written — is a `WebSocketTransport`; everything the app sees is here.
 *
 * Phases: `connecting` (the app has not answered; the socket sits paused with
 * whatever the client already sent buffered in it), `refusing` (an HTTP answer
 * is being written), `open` (a `ws` WebSocket owns the socket), `closed`.
 * The scope's outcome (clean/abnormal, via `pagi.connection`) and the event
 * `receive()` repeats forever (`endEvent`) are recorded once, by `end()`;
 * the transport may take longer to close than that.
 */
import { WebSocket } from 'ws';
import { createConnection, type ConnectionController } from '../../protocol/connection.js';
import { Disconnected, OutOfOrder } from '../../protocol/errors.js';
import type { App, HeaderPair, ReceiveEvent, SendEvent, WebSocketScope } from '../../protocol/types.js';
import { createSendValidator, type NormalizedSendEvent, type SendValidator } from '../../protocol/validate.js';
import { describeScope, followSend, rejectedSend, unawaitedSendMessage, watchedSend, type UnawaitedSendSink } from '../../protocol/unawaited.js';
import { log, type Logger } from '../options.js';
import { Keepalive } from './keepalive.js';
import type { RefusalWriter, WebSocketTransport } from './transport.js';

export interface WebSocketSettings {
  /** Largest inbound message in bytes (`ws` maxPayload; above it the peer gets 1009). */
  maxMessageSize: number;
  /** Inbound messages queued for an app that is not reading; overflow closes with 1008. */
  maxQueue: number;
  /** Seconds to wait for the peer's Close after ours. */
  closeTimeout: number;
  /** Seconds a send may wait for the socket to take its bytes (0 = forever). */
  sendTimeout: number;
  /** Seconds between server pings once open (0 or absent: none until the app sends `websocket.keepalive`). */
  pingInterval?: number;
  /** Seconds a pong may take before the session ends with keepalive_timeout (0 or absent: no deadline). */
  pingTimeout?: number;
  /** Negotiate permessage-deflate with clients that offer it. Default false. */
  perMessageDeflate?: boolean;
}

export interface SessionContext {
  app: App;
  logger: Logger;
  settings: WebSocketSettings;
  /** A 404 before accepting means "not mine": nothing is written, the socket is left to others. */
  fallthrough?: boolean;
}

type Phase = 'connecting' | 'refusing' | 'open' | 'closed';

/** Sends resolve at once while `ws` holds less than this; above it they wait for the write callback. */
const SEND_HIGH_WATER = 64 * 1024;

const CONNECT_EVENT: ReceiveEvent = { type: 'websocket.connect' };
const RESOLVED = Promise.resolve();

interface QueuedSend {
  event: unknown;
  resolve: () => void;
  reject: (err: unknown) => void;
}
const HTTP_DISCONNECT: ReceiveEvent = { type: 'http.disconnect' };

export class WebSocketSession implements UnawaitedSendSink {
  /** Resolves once the socket is closed, whatever the outcome. */
  readonly closed: Promise<void>;
  private phase: Phase = 'connecting';
  private readonly connection: ConnectionController;
  private readonly validator: SendValidator;
  private readonly scope: WebSocketScope;
  private ws: WebSocket | undefined;
  private refusal: RefusalWriter | undefined;
  private readonly queue: ReceiveEvent[] = [];
  private readonly waiters: Array<(event: ReceiveEvent) => void> = [];
  private connectDelivered = false;
  private endEvent: ReceiveEvent | undefined;
  /** A send is waiting for the transport; later sends queue in `backlog`. */
  private busy = false;
  private readonly backlog: QueuedSend[] = [];
  /** Sends waiting for 'drain'; an abnormal end rejects them. */
  private readonly pendingSends = new Set<(err: Error) => void>();
  private appSentClose = false;
  private appDone = false;
  private closeTimedOut = false;
  private closeTimer: NodeJS.Timeout | undefined;
  private keepalive: Keepalive | undefined;
  /** Status of the handshake answer (101, a refusal's, 403/500/503), for the access log. */
  private answerStatus = 0;
  /** Another 'upgrade' listener answered this connection: the socket is theirs, never touched again. */
  private released = false;
  /** The app declined with 404 under `fallthrough`: its refusal is consumed, never written. */
  private passedOn = false;
  private markClosed!: () => void;
  private reportedUnawaited = false;

  private readonly socket: WebSocketTransport['socket'];

  constructor(
    private readonly ctx: SessionContext,
    private readonly transport: WebSocketTransport,
  ) {
    this.socket = transport.socket;
    const socket = this.socket;
    this.connection = createConnection({ websocket: true });
    this.scope = transport.scope(this.connection);
    this.validator = createSendValidator(this.scope);
    this.connection.setAbortHandler(this.onAbort);
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    socket.once('close', this.markClosed);
    if (transport.logAccess) void this.closed.then(() => this.released || this.logAccess());
    // Node removed its own listeners when it emitted 'upgrade'; an unhandled 'error' would crash the process.
    socket.on('error', this.onSocketError);
    socket.once('close', this.onSocketClose);
  }

  /**
   * Runs the app on this scope; never rejects. Called once every 'upgrade'
   * listener of the server has run: when one of them already answered (socket.io,
   * `ws` attached to the same server), the app is never called.
   */
  async run(): Promise<void> {
    if (!this.stillOurs()) return;
    let threw = false;
    let error: unknown;
    try {
      await this.ctx.app(this.scope, this.receive, this.send as (event: SendEvent) => Promise<void>);
    } catch (err) {
      threw = true;
      error = err;
    }
    this.appDone = true;
    this.afterApp(threw, error);
  }

  /** Server shutdown: refuse a pending handshake with 503, close an open socket with 1001. */
  shutdown(): void {
    if (this.phase === 'connecting') {
      if (!this.stillOurs()) return;
      if (this.fail('server_shutdown', 1006)) void this.answerPlain(503, 'Service Unavailable');
    } else if (this.phase === 'open' && this.ws) {
      this.fail('server_shutdown', 1006);
      if (this.ws.readyState === WebSocket.OPEN) this.closeWith(1001, 'server shutdown');
    }
  }

  /** Grace period over: drop the transport. */
  destroy(): void {
    if (this.released) return;
    this.fail('server_shutdown', 1006);
    if (this.ws) this.ws.terminate();
    else this.socket.destroy();
  }

  // ------------------------------------------------------------ receive

  private readonly receive = (): Promise<ReceiveEvent> => {
    if (!this.connectDelivered) {
      this.connectDelivered = true;
      return Promise.resolve(CONNECT_EVENT);
    }
    // Before the answer, a receive() stays pending (§5.3) unless the client already left.
    if (this.waiters.length === 0 && (this.phase !== 'connecting' || this.endEvent)) {
      const next = this.queue.shift() ?? this.endEvent;
      if (next) return Promise.resolve(next);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  };

  private flushWaiters(): void {
    if (this.phase === 'connecting' && !this.endEvent) return;
    while (this.waiters.length > 0) {
      const next = this.queue.shift() ?? this.endEvent;
      if (!next) return;
      (this.waiters.shift() as (event: ReceiveEvent) => void)(next);
    }
  }

  // --------------------------------------------------------------- send

  /**
   * Overlapping sends run one at a time in call order (§1 deviation 3). The
   * common case (nothing in flight, socket not backed up) allocates no
   * promise of its own: this is the per-message hot path.
   */
  private readonly send = (event: unknown): Promise<void> => {
    if (this.busy) return watchedSend((resolve, reject) => this.backlog.push({ event, resolve, reject }), this, event);
    return this.runSend(event);
  };

  /** Every promise handed to the app is watched: a rejection nobody awaits is logged, never unhandled. */
  private runSend(event: unknown): Promise<void> {
    let pending: Promise<void> | undefined;
    try {
      pending = this.performSend(event);
    } catch (err) {
      return rejectedSend(err, this, event);
    }
    if (pending === undefined) return RESOLVED;
    this.busy = true;
    return followSend(pending.finally(this.sendSettled), this, event);
  }

  /** UnawaitedSendSink: the first unawaited failure of this scope is an error log, later ones debug. */
  unawaitedSend(error: unknown, event: unknown): void {
    const message = unawaitedSendMessage(event, describeScope(this.scope));
    log(this.ctx.logger, this.reportedUnawaited ? 'debug' : 'error', message, error);
    this.reportedUnawaited = true;
  }

  private readonly sendSettled = (): void => {
    this.busy = false;
    while (!this.busy && this.backlog.length > 0) {
      const next = this.backlog.shift() as QueuedSend;
      this.runSend(next.event).then(next.resolve, next.reject);
    }
  };

  /** Performs one send: throws (→ rejection) or returns a promise only when it has to wait. */
  private performSend(event: unknown): Promise<void> | undefined {
    if (this.phase === 'connecting') this.stillOurs();
    const gone = this.goneReason();
    if (gone !== undefined) {
      // The app's first websocket.close succeeds even when the peer's closure is under way (§5.4).
      if (isCloseEvent(event) && !this.appSentClose && this.phase === 'open') {
        this.appSentClose = true;
        return;
      }
      throw new Disconnected(gone);
    }
    if (this.appDone) {
      throw new OutOfOrder(eventType(event), 'finished', 'nothing: the application has returned');
    }
    const step = this.validator.check(event);
    if (step.noop) return;
    const e = step.event;
    switch (e.type) {
      case 'websocket.accept':
        this.validator.commit(step);
        this.connection.markStarted();
        this.answerStatus = 101;
        this.accept(e.subprotocol, e.headers);
        return;
      case 'websocket.send':
        return this.write(e);
      case 'websocket.close':
        this.validator.commit(step);
        if (this.phase === 'connecting') {
          // Close before accept refuses with 403 (port rule, §5.3).
          this.connection.markStarted();
          return this.answerPlain(403, '').then(() => {
            if (this.connection.complete()) this.end(HTTP_DISCONNECT, undefined);
          });
        }
        this.appSentClose = true;
        this.closeWith(e.code, e.reason);
        return;
      case 'websocket.keepalive':
        (this.keepalive ??= new Keepalive(this.ws as WebSocket, this.onKeepaliveTimeout)).configure(e.interval, e.timeout);
        return;
      case 'http.response.start':
      case 'http.response.body':
      case 'http.response.trailers':
        return this.writeRefusal(e, step);
      default:
        throw new OutOfOrder(e.type, this.validator.state, 'a websocket event');
    }
  }

  /** The §7.3 reason when the client side is gone (abnormal end or a peer Close). */
  private goneReason(): string | undefined {
    const reason = this.connection.reason;
    if (reason !== undefined) return reason;
    if (this.phase === 'open' && !this.appSentClose) {
      // ws moves to CLOSING the moment the peer's Close frame arrives.
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return 'client_closed';
    }
    if (this.phase === 'closed' && this.endEvent?.type === 'websocket.disconnect' && !this.appSentClose) {
      return 'client_closed';
    }
    return undefined;
  }

  private accept(subprotocol: string | undefined, headers: HeaderPair[]): void {
    // The transport answers and calls back synchronously; if the client already half-closed
    // it destroys the socket instead and onSocketClose reports the departure.
    this.transport.accept(subprotocol, headers, this.onOpen);
  }

  private readonly onOpen = (ws: WebSocket): void => {
    this.ws = ws;
    this.phase = 'open';
    ws.on('message', this.onMessage);
    ws.on('error', this.onWsError);
    ws.on('close', this.onWsClose);
    // The server-wide ping default; an app's own websocket.keepalive replaces it.
    const { pingInterval = 0, pingTimeout = 0 } = this.ctx.settings;
    if (pingInterval > 0) {
      (this.keepalive ??= new Keepalive(ws, this.onKeepaliveTimeout)).configure(pingInterval, pingTimeout > 0 ? pingTimeout : undefined);
    }
    this.flushWaiters();
  };

  /**
   * Hands one message to ws. Below the high-water mark that is all; above it
   * the send waits for the socket's 'drain' (bounded by the send timeout).
   * Write errors surface as socket 'error' (write_error) or 'close'.
   */
  private write(event: Extract<NormalizedSendEvent, { type: 'websocket.send' }>): Promise<void> | undefined {
    (this.ws as WebSocket).send(event.text ?? event.bytes, { binary: event.text === undefined });
    if (this.socket.writableLength < SEND_HIGH_WATER) return undefined;
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (err?: Error) => {
        if (timer) clearTimeout(timer);
        this.socket.removeListener('drain', onDrain);
        this.pendingSends.delete(settle);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => settle();
      this.socket.on('drain', onDrain);
      this.pendingSends.add(settle);
      const seconds = this.ctx.settings.sendTimeout;
      if (seconds > 0) {
        timer = setTimeout(() => {
          if (this.fail('write_timeout', 1006, `send not written within ${seconds}s`)) this.ws?.terminate();
          settle(new Disconnected(this.connection.reason ?? 'write_timeout'));
        }, seconds * 1000);
      }
    });
  }

  private async writeRefusal(
    event: Extract<NormalizedSendEvent, { type: 'http.response.start' | 'http.response.body' | 'http.response.trailers' }>,
    step: ReturnType<SendValidator['check']>,
  ): Promise<void> {
    if (event.type === 'http.response.start' && event.status === 404 && this.ctx.fallthrough === true) {
      this.passOn();
    }
    if (this.passedOn) {
      // The rest of a declined refusal goes nowhere; the scope completes when the app finishes it.
      this.validator.commit(step);
      if (this.validator.complete && this.connection.complete()) this.end(HTTP_DISCONNECT, undefined);
      return;
    }
    if (event.type === 'http.response.start') {
      this.phase = 'refusing';
      this.answerStatus = event.status;
      this.refusal = this.transport.refusal();
      this.validator.commit(step);
      this.connection.markStarted();
    }
    await (this.refusal as RefusalWriter).write(event);
    if (this.connection.reason !== undefined) throw new Disconnected(this.connection.reason);
    if (event.type !== 'http.response.start') this.validator.commit(step);
    if (this.validator.complete && this.connection.complete()) this.end(HTTP_DISCONNECT, undefined);
  }

  private async answerPlain(status: number, text: string): Promise<void> {
    this.phase = 'refusing';
    this.answerStatus = status;
    this.refusal = this.transport.refusal();
    await this.refusal.plain(status, text);
  }

  // ------------------------------------------------------ transport events

  private readonly onMessage = (data: Buffer, isBinary: boolean): void => {
    if (this.endEvent) return;
    if (this.queue.length >= this.ctx.settings.maxQueue) {
      if (this.fail('queue_overflow', 1008)) this.closeWith(1008, 'receive queue overflow');
      return;
    }
    this.queue.push(
      isBinary ? { type: 'websocket.receive', bytes: data } : { type: 'websocket.receive', text: data.toString('utf8') },
    );
    this.flushWaiters();
  };

  /** `ws` reports framing violations here, after starting its own Close with the matching code. */
  private readonly onWsError = (err: Error & { code?: string }): void => {
    const code = err.code === 'WS_ERR_INVALID_UTF8' ? 1007 : err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 1009 : 1002;
    this.fail('protocol_error', code, err.message);
  };

  private readonly onWsClose = (code: number, reasonBuffer: Buffer): void => {
    this.clearTimers();
    // ws reports 1006 exactly when no Close frame came (1006 is not a legal code on the wire).
    const peerSentClose = code !== 1006;
    const reason = reasonBuffer.toString('utf8');
    if (peerSentClose) this.connection.setPeerClose(code, code === 1005 ? undefined : reason);
    if (peerSentClose) this.end({ type: 'websocket.disconnect', code, reason }, undefined);
    else if (this.closeTimedOut) this.fail('close_timeout', 1006);
    else this.fail('client_closed', 1006);
    this.phase = 'closed';
  };

  private readonly onSocketClose = (): void => {
    this.clearTimers();
    if (this.phase === 'connecting') this.fail('client_closed', 1006);
    // A refusal whose last byte went out ends cleanly when its last write resolves (HTTP/2 closes
    // the stream before that); anything else closing mid-refusal is the client leaving.
    else if (this.phase === 'refusing' && !this.refusal?.completed && this.connection.disconnect('client_closed')) {
      this.end(HTTP_DISCONNECT, 'client_closed');
    }
    if (this.phase !== 'open') this.phase = 'closed';
  };

  private readonly onSocketError = (err: NodeJS.ErrnoException): void => {
    // Reads failing mean the client left ('close' reports client_closed); a failed write is ours to name.
    if (err.syscall === 'write') this.fail('write_error', 1006, err.message);
    log(this.ctx.logger, 'debug', `websocket socket error on ${this.scope.path}`, err);
  };

  private readonly onAbort = (): void => {
    // pagi.connection already recorded app_abort; queue the event and drop the transport.
    this.end({ type: 'websocket.disconnect', code: 1006, reason: 'app_abort' }, 'app_abort');
    if (this.ws) this.ws.terminate();
    else this.socket.destroy();
  };

  // -------------------------------------------------------------- closing

  /** Sends our Close and bounds the wait for the peer's. */
  private closeWith(code: number, reason: string): void {
    const ws = this.ws as WebSocket;
    ws.close(code, reason);
    this.keepalive?.stop();
    if (!this.closeTimer) {
      this.closeTimer = setTimeout(() => {
        this.closeTimedOut = true;
        ws.terminate();
      }, this.ctx.settings.closeTimeout * 1000);
    }
  }

  /** Records an abnormal end (first outcome wins); returns false when the scope had already ended. */
  private fail(reason: string, code: number, detail?: string): boolean {
    if (this.endEvent) return false;
    const event: ReceiveEvent =
      this.phase === 'refusing' ? HTTP_DISCONNECT : { type: 'websocket.disconnect', code, reason };
    this.end(event, reason, detail);
    return true;
  }

  /** §7.4: facts and callbacks first (pagi.connection), then the event, then pending sends. */
  private end(event: ReceiveEvent, reason: string | undefined, detail?: string): void {
    if (this.endEvent) return;
    if (reason === undefined) this.connection.complete();
    else {
      this.connection.disconnect(reason, detail);
      this.queue.length = 0;
    }
    this.endEvent = event;
    this.flushWaiters();
    for (const settle of [...this.pendingSends]) settle(new Disconnected(reason ?? 'client_closed'));
  }

  private afterApp(threw: boolean, error: unknown): void {
    const logger = this.ctx.logger;
    const where = `websocket ${this.scope.path}`;
    const gone = this.connection.reason !== undefined;
    // After the client left, a Disconnected from a send is the normal way out (§1 deviation 1).
    const reportable = threw && !(gone && error instanceof Disconnected);
    if (!this.validator.started && this.phase === 'connecting') {
      if (gone) {
        if (reportable) logger.error(`${where}: application failed after the client left`, error);
        return;
      }
      if (!this.stillOurs()) return;
      if (threw) logger.error(`${where}: application failed before accepting`, error);
      else logger.error(`${where}: application returned without accepting or refusing`);
      this.connection.markStarted();
      if (this.fail('server_error', 1006)) void this.answerPlain(500, 'Internal Server Error');
      return;
    }
    if (this.phase === 'refusing' && !this.validator.complete) {
      if (!gone) {
        logger.error(`${where}: application ended before finishing its refusal`, threw ? error : undefined);
        this.fail('server_error', 1006);
        this.refusal?.destroy();
      } else if (reportable) logger.error(`${where}: application failed`, error);
      return;
    }
    if (this.phase === 'open' && !this.appSentClose && !this.endEvent) {
      if (threw) logger.error(`${where}: application failed`, error);
      else logger.error(`${where}: application returned without closing the WebSocket`);
      if (this.fail('server_error', 1011)) this.closeWith(1011, '');
      return;
    }
    if (reportable) logger.error(`${where}: application failed`, error);
  }

  /**
   * False once another 'upgrade' listener wrote to the socket (or ended it):
   * the connection is theirs, so the scope ends (`client_closed`, as far as the
   * app can tell the client left) and this session lets go of the socket.
   */
  private stillOurs(): boolean {
    if (this.released) return false;
    if (this.phase !== 'connecting') return true;
    if (!this.transport.answeredElsewhere()) return true;
    this.fail('client_closed', 1006, 'another upgrade listener answered this connection');
    this.phase = 'closed';
    this.letGo();
    return false;
  }

  /** `fallthrough` 404: let go of the socket without a byte written, for the server's other listeners. */
  private passOn(): void {
    this.passedOn = true;
    this.connection.markStarted();
    this.phase = 'refusing';
    this.letGo();
  }

  private letGo(): void {
    this.released = true;
    this.socket.removeListener('error', this.onSocketError);
    this.socket.removeListener('close', this.onSocketClose);
    this.socket.removeListener('close', this.markClosed);
    this.markClosed();
  }

  private logAccess(): void {
    try {
      this.transport.logAccess?.(this.answerStatus);
    } catch (err) {
      this.ctx.logger.error('the access log writer threw', err);
    }
  }

  private readonly onKeepaliveTimeout = (seconds: number): void => {
    if (this.fail('keepalive_timeout', 1006, `no pong within ${seconds}s`)) this.ws?.terminate();
  };

  private clearTimers(): void {
    this.keepalive?.stop();
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
  }
}

function isCloseEvent(event: unknown): boolean {
  return typeof event === 'object' && event !== null && (event as { type?: unknown }).type === 'websocket.close';
}

function eventType(event: unknown): string {
  const type = typeof event === 'object' && event !== null ? (event as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? type : 'event';
}
