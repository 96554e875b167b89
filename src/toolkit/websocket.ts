/**
 * `WebSocketConnection`: the object a `websocket()` route handler talks to.
 * Accepts on first use (so a handler may refuse with an `HttpError` first,
 * §5.3), iterates over incoming messages until the peer leaves, and is
 * closed by the router when the handler returns (§5.4's terminal act).
 */
import type { HeadersInput, SendFor, WebSocketScope } from '../protocol/types.js';
import { sendSteps } from './send-steps.js';
import { RESOLVED } from '../protocol/resolved.js';

/** Options of `WebSocketConnection.accept`. */
export interface WebSocketAcceptOptions {
  /** One of `scope.subprotocols`. */
  subprotocol?: string;
  /** Extra headers on the 101 response. */
  headers?: HeadersInput;
}

/** How the session ended, from the `websocket.disconnect` event (PROTOCOL.md §5.5). */
export interface WebSocketClose {
  code: number;
  reason: string;
}

type WebSocketReceive = () => Promise<
  { type: 'websocket.connect' } | { type: 'websocket.receive'; text?: string | undefined; bytes?: Uint8Array | undefined } | { type: 'websocket.disconnect'; code: number; reason: string }
>;

/** A WebSocket session seen from a route handler. */
export class WebSocketConnection implements AsyncIterable<string | Uint8Array> {
  #accepted = false;
  #closing = false;
  #disconnect: WebSocketClose | undefined;

  constructor(
    readonly scope: WebSocketScope,
    private readonly receiveEvent: WebSocketReceive,
    private readonly sendEvent: SendFor<'websocket'>,
  ) {}

  /** Whether the handshake was accepted. */
  get accepted(): boolean {
    return this.#accepted;
  }

  /** The peer's close (or the abnormal end) once the iteration saw it; `undefined` while open. */
  get disconnect(): WebSocketClose | undefined {
    return this.#disconnect;
  }

  /** Completes the handshake; called by the first `send` or iteration otherwise. */
  accept(options: WebSocketAcceptOptions = {}): Promise<void> {
    if (this.#accepted) return RESOLVED;
    return sendSteps([() => this.sendEvent({ type: 'websocket.accept', ...options }), () => void (this.#accepted = true)]);
  }

  /**
   * Sends a text (`string`) or binary (`Uint8Array`) message. Rejects with
   * `Disconnected` once the peer left; left unawaited, that rejection is the
   * server's to report (§1 deviation 9), never an unhandled rejection.
   */
  send(message: string | Uint8Array): Promise<void> {
    const event = typeof message === 'string' ? { type: 'websocket.send' as const, text: message } : { type: 'websocket.send' as const, bytes: message };
    if (this.#accepted) return this.sendEvent(event);
    return sendSteps([() => this.accept(), () => this.sendEvent(event)]);
  }

  /**
   * Starts the closing handshake (default 1000). Before `accept`, it refuses
   * the handshake with 403 instead. A second call does nothing.
   */
  close(code = 1000, reason = ''): Promise<void> {
    if (this.#closing || this.#disconnect !== undefined) return RESOLVED;
    this.#closing = true;
    return this.sendEvent({ type: 'websocket.close', code, reason });
  }

  /** The next message, or `undefined` once the session ended (see `disconnect`). */
  async receive(): Promise<string | Uint8Array | undefined> {
    await this.accept();
    for (;;) {
      if (this.#disconnect !== undefined) return undefined;
      const event = await this.receiveEvent();
      if (event.type === 'websocket.receive') return event.text ?? event.bytes ?? new Uint8Array(0);
      if (event.type === 'websocket.disconnect') this.#disconnect = { code: event.code, reason: event.reason };
      // 'websocket.connect' is the session's first event: nothing to hand out.
    }
  }

  /** Iterates over incoming messages (text as `string`, binary as `Uint8Array`) until the session ends. */
  async *[Symbol.asyncIterator](): AsyncIterator<string | Uint8Array> {
    for (let message = await this.receive(); message !== undefined; message = await this.receive()) yield message;
  }

  /** For the router: whether the terminal act is still owed (accepted, not closed, peer still there). */
  get needsClose(): boolean {
    return !this.#closing && this.#disconnect === undefined;
  }
}
