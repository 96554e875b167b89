/**
 * One `websocket` scope driven in-process (PROTOCOL.md §5). The test plays the
 * client: `client.websocket()` resolves with a session once the app accepts,
 * and rejects with `WebSocketDenied` when it refuses (an HTTP response, or
 * `websocket.close` before accept = 403). The session answers the app's
 * closing handshake as a browser would, echoing the app's close code.
 */
import { createConnection, type ConnectionController } from '../protocol/connection.js';
import { Disconnected, OutOfOrder } from '../protocol/errors.js';
import type { App, ConnectionState, HeaderPair, SendEvent, WebSocketScope } from '../protocol/types.js';
import { createSendValidator, type NormalizedSendEvent, type SendValidator } from '../protocol/validate.js';
import { deferred, withDeadline, type Deferred } from './deadline.js';
import { IncompleteResponse, NoResponse, WebSocketClosed, WebSocketDenied } from './errors.js';
import { readFileBody } from './file-body.js';
import { ReceiveQueue } from './receive-queue.js';
import { runApp } from './run-app.js';
import { describeScope, followSend, unawaitedSendMessage, type UnawaitedSendSink } from '../protocol/unawaited.js';

export interface WebSocketExchangeInit {
  app: App;
  scope: Omit<WebSocketScope, 'pagi.connection'>;
  raiseAppExceptions: boolean;
  timeoutMs: number;
  /** Told about a send that rejected while the app did not await it. */
  onUnawaitedSend: (message: string, error: unknown) => void;
}

/** A message the app sent, as the client received it. */
export type WebSocketMessage = { text: string; bytes?: undefined } | { bytes: Uint8Array; text?: undefined };

type InboxItem = WebSocketMessage | { close: { code: number; reason: string } };

/** Starts the app; resolves with the session once it accepted. */
export function openWebSocket(init: WebSocketExchangeInit): Promise<WebSocketSession> {
  const exchange = new WebSocketExchange(init);
  return withDeadline(exchange.opened.promise, init.timeoutMs, `the WebSocket handshake answer on ${init.scope.raw_path}`);
}

/** The client side of an accepted WebSocket. */
export class WebSocketSession {
  constructor(
    private readonly exchange: WebSocketExchange,
    /** The subprotocol the app picked, if any. */
    readonly subprotocol: string | undefined,
    /** The extra headers of the app's `websocket.accept`. */
    readonly headers: HeaderPair[],
  ) {}

  sendText(text: string): void {
    this.exchange.fromClient({ type: 'websocket.receive', text });
  }

  sendBytes(bytes: Uint8Array): void {
    this.exchange.fromClient({ type: 'websocket.receive', bytes });
  }

  sendJson(value: unknown): void {
    this.sendText(JSON.stringify(value));
  }

  /** The next message the app sent; rejects with `WebSocketClosed` once the app closed. */
  receive(): Promise<WebSocketMessage> {
    return this.exchange.nextMessage();
  }

  async receiveText(): Promise<string> {
    const message = await this.receive();
    if (message.text === undefined) throw new TypeError('expected a text message from the app, got a binary one');
    return message.text;
  }

  async receiveBytes(): Promise<Uint8Array> {
    const message = await this.receive();
    if (message.bytes === undefined) throw new TypeError('expected a binary message from the app, got a text one');
    return message.bytes;
  }

  async receiveJson<T = unknown>(): Promise<T> {
    return JSON.parse(await this.receiveText()) as T;
  }

  /**
   * Starts the closing handshake from the client: the app receives
   * `websocket.disconnect` with `code`/`reason`, and its later sends reject
   * with `Disconnected` (its first `websocket.close` still resolves).
   */
  close(code = 1000, reason = ''): void {
    this.exchange.clientClose(code, reason);
  }

  /** Drops the connection without a Close frame (code 1006, `client_closed`). */
  disconnect(): void {
    this.exchange.clientDrop();
  }

  /** The app's close code and reason, once it closed (1011 if it returned without closing). */
  get closed(): { code: number; reason: string } | undefined {
    return this.exchange.appClose;
  }

  get connection(): ConnectionState {
    return this.exchange.connection;
  }

  /** Every event the app sent, validated and normalised. */
  get events(): readonly NormalizedSendEvent[] {
    return this.exchange.events;
  }

  /** Resolves when the app's promise settles; rejects with its error (not for `Disconnected` after a client close). */
  settled(): Promise<void> {
    return this.exchange.outcome.promise;
  }
}

class WebSocketExchange implements UnawaitedSendSink {
  readonly opened: Deferred<WebSocketSession> = deferred();
  readonly outcome: Deferred<void> = deferred();
  readonly events: NormalizedSendEvent[] = [];
  appClose: { code: number; reason: string } | undefined;
  private readonly conn: ConnectionController;
  private readonly validator: SendValidator;
  private readonly queue = new ReceiveQueue();
  private readonly scope: WebSocketScope;
  private readonly inbox: InboxItem[] = [];
  private inboxWaiters: Array<() => void> = [];
  private refusal: { status: number; headers: HeaderPair[]; chunks: Uint8Array[] } | undefined;
  private peerClosed = false;
  private closeAfterPeer = false;
  private appDone = false;
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly init: WebSocketExchangeInit) {
    this.conn = createConnection({ websocket: true });
    this.scope = { ...init.scope, 'pagi.connection': this.conn.state };
    this.validator = createSendValidator(this.scope);
    this.conn.setAbortHandler(() => this.dropped('app_abort', new Disconnected('app_abort', 'the app aborted the connection')));
    this.queue.push({ type: 'websocket.connect' });
    void runApp(init.app, this.scope, this.queue.receive, this.send).then(({ failed, error }) => this.appReturned(failed, error));
  }

  get connection(): ConnectionState {
    return this.conn.state;
  }

  // ------------------------------------------------------------ client side

  fromClient(event: { type: 'websocket.receive'; text: string } | { type: 'websocket.receive'; bytes: Uint8Array }): void {
    if (this.conn.ended || this.peerClosed) throw new WebSocketClosed(this.appClose?.code ?? 1006, 'the session is over');
    this.queue.push(event);
  }

  clientClose(code: number, reason: string): void {
    if (this.conn.ended || this.peerClosed) return;
    this.peerClosed = true;
    this.conn.setPeerClose(code, reason);
    // Messages the app has not read yet stay readable before the disconnect.
    this.queue.end({ type: 'websocket.disconnect', code, reason }, false);
    this.conn.complete();
    this.toInbox({ close: { code, reason } });
  }

  clientDrop(): void {
    this.dropped('client_closed', new Disconnected('client_closed'));
  }

  async nextMessage(): Promise<WebSocketMessage> {
    while (this.inbox.length === 0) {
      await withDeadline(new Promise<void>((resolve) => this.inboxWaiters.push(resolve)), this.init.timeoutMs, 'a WebSocket message from the app');
    }
    const item = this.inbox[0] as InboxItem;
    // A close stays at the head: every later read reports it again.
    if ('close' in item) throw new WebSocketClosed(item.close.code, item.close.reason);
    this.inbox.shift();
    return item;
  }

  private toInbox(item: InboxItem): void {
    this.inbox.push(item);
    const waiters = this.inboxWaiters;
    this.inboxWaiters = [];
    for (const wake of waiters) wake();
  }

  // -------------------------------------------------------------- app side

  private readonly send = (event: SendEvent): Promise<void> => {
    // Judged at call time: a send made before the app returned is processed even
    // if the app's promise settles while it waits in the queue.
    const afterReturn = this.appDone;
    const result = this.tail.then(() => this.process(event, afterReturn));
    this.tail = result.catch(() => {});
    return followSend(result, this, event);
  };

  unawaitedSend(error: unknown, event: unknown): void {
    this.init.onUnawaitedSend(unawaitedSendMessage(event, describeScope(this.scope)), error);
  }

  private async process(event: SendEvent, afterReturn: boolean): Promise<void> {
    if (this.conn.reason !== undefined) throw new Disconnected(this.conn.reason);
    const type = typeof (event as { type?: unknown })?.type === 'string' ? (event as { type: string }).type : 'event';
    if (this.peerClosed) {
      // The app's first close after the peer's resolves: the handshake is under way (§5.4).
      if (type === 'websocket.close' && !this.closeAfterPeer) {
        this.closeAfterPeer = true;
        return;
      }
      throw new Disconnected('client_closed');
    }
    if (afterReturn) throw new OutOfOrder(type, 'finished', 'nothing: the app already returned');
    let step;
    try {
      step = this.validator.check(event);
    } catch (error) {
      if (!this.opened.settled) this.opened.reject(error);
      throw error;
    }
    if (step.noop) return;
    const e = step.event;
    const fileBytes = e.type === 'http.response.body' && e.kind !== 'inline' ? await readFileBody(e) : undefined;
    const before = this.validator.state;
    this.validator.commit(step);
    this.events.push(e);
    switch (e.type) {
      case 'websocket.accept':
        this.conn.markStarted();
        this.opened.resolve(new WebSocketSession(this, e.subprotocol, e.headers));
        return;
      case 'http.response.start':
        this.conn.markStarted();
        this.refusal = { status: e.status, headers: e.headers, chunks: [] };
        return;
      case 'http.response.body': {
        const bytes = e.kind === 'inline' ? Buffer.from(e.body) : fileBytes;
        if (bytes && bytes.length > 0) this.refusal?.chunks.push(bytes);
        if (this.validator.complete) this.refused();
        return;
      }
      case 'http.response.trailers':
        this.refused();
        return;
      case 'websocket.send':
        this.toInbox(e.text !== undefined ? { text: e.text } : { bytes: Buffer.from(e.bytes) });
        return;
      case 'websocket.close':
        if (before === 'connecting') {
          // Close before accept: a 403 with an empty body (port rule, §5.3).
          this.conn.markStarted();
          this.refusal = { status: 403, headers: [], chunks: [] };
          this.refused();
          return;
        }
        this.appClose = { code: e.code, reason: e.reason };
        this.toInbox({ close: this.appClose });
        // The client answers the Close by echoing the code: the handshake completes.
        this.conn.setPeerClose(e.code, '');
        this.queue.end({ type: 'websocket.disconnect', code: e.code, reason: '' }, false);
        this.conn.complete();
        return;
      default:
        return; // websocket.keepalive: pings are a transport matter.
    }
  }

  private refused(): void {
    const refusal = this.refusal;
    if (!refusal) return;
    this.conn.complete();
    this.queue.end({ type: 'http.disconnect' }, false);
    this.opened.reject(new WebSocketDenied(refusal.status, refusal.headers, Buffer.concat(refusal.chunks)));
  }

  private dropped(reason: string, error: unknown): void {
    if (this.conn.ended) return;
    this.conn.disconnect(reason);
    this.queue.end({ type: 'websocket.disconnect', code: 1006, reason }, true);
    this.opened.reject(error);
    this.toInbox({ close: { code: 1006, reason } });
  }

  /** Sends already queued are processed before the app's end is judged. */
  private appReturned(failed: boolean, error: unknown): void {
    this.appDone = true;
    void this.tail.then(() => this.appSettled(failed, error));
  }

  private appSettled(failed: boolean, error: unknown): void {
    const clientLeft = this.peerClosed || (this.conn.reason !== undefined && this.conn.reason !== 'server_error');
    if (failed && !(clientLeft && error instanceof Disconnected)) this.outcome.reject(error);
    else this.outcome.resolve();
    if (this.conn.ended) return;
    const cause = failed ? { cause: error } : undefined;
    if (!this.validator.started) {
      const denial = this.init.raiseAppExceptions
        ? failed
          ? error
          : new NoResponse('websocket', cause)
        : new WebSocketDenied(500, [['content-type', 'text/plain; charset=utf-8']], Buffer.from('Internal Server Error'));
      this.conn.disconnect('server_error');
      this.queue.end({ type: 'http.disconnect' }, true);
      this.opened.reject(denial);
      return;
    }
    if (this.refusal) {
      this.conn.disconnect('server_error');
      this.opened.reject(new IncompleteResponse(this.validator.state, cause));
      return;
    }
    // Accepted, never closed, never saw the peer leave: the server closes with 1011 (§5.4).
    this.conn.disconnect('server_error');
    this.queue.end({ type: 'websocket.disconnect', code: 1011, reason: 'server_error' }, true);
    this.appClose = { code: 1011, reason: '' };
    this.toInbox({ close: this.appClose });
  }
}
