/**
 * `scope['pagi.connection']` (PROTOCOL.md §7): the one-way record of how a
 * scope ends, with deferred callbacks and never-rejecting futures.
 *
 * The server side holds a `ConnectionController`; the app sees only its
 * `state`. The first outcome (clean or abnormal) wins and never changes.
 */
import type { ConnectionState } from './types.js';

export interface ConnectionController {
  /** The object to put at `scope['pagi.connection']`. */
  readonly state: ConnectionState;
  /** True once either outcome happened. */
  readonly ended: boolean;
  /** The abnormal-end token, if the scope ended abnormally. */
  readonly reason: string | undefined;
  /** A valid start was accepted (§7.1 `response_started`). */
  markStarted(): void;
  /** Clean end. Returns false when an outcome was already recorded. */
  complete(): boolean;
  /** Abnormal end with a §7.3 token. Returns false when an outcome was already recorded. */
  disconnect(reason: string, detail?: string): boolean;
  /** WebSocket: what the peer's Close frame said. */
  setPeerClose(code: number, reason: string | undefined): void;
  /** Called (once) when the app calls `abort()` before an outcome; the transport tears down. */
  setAbortHandler(handler: (detail: string | undefined) => void): void;
}

type Outcome = { clean: true } | { clean: false; reason: string; detail: string | undefined };

/** Creates the controller for one scope; `websocket` scopes also report close codes. */
export function createConnection(options: { websocket?: boolean } = {}): ConnectionController {
  return new Connection(options.websocket === true);
}

class Connection implements ConnectionController {
  private outcome: Outcome | undefined;
  private started = false;
  private peerCode: number | undefined;
  private peerReason: string | undefined;
  private abortHandler: ((detail: string | undefined) => void) | undefined;
  // Callbacks registered before the outcome; dropped once it is delivered.
  private onDisconnectCbs: Array<(reason: string, detail: string | undefined) => void> | undefined;
  private onCompleteCbs: Array<() => void> | undefined;
  private onEndCbs: Array<(reason: string | undefined, detail: string | undefined) => void> | undefined;
  private disconnectPromise: Promise<string> | undefined;
  private resolveDisconnect: ((reason: string) => void) | undefined;
  private endPromise: Promise<string | undefined> | undefined;
  private resolveEnd: ((reason: string | undefined) => void) | undefined;
  readonly state: ConnectionState;

  private readonly websocket: boolean;

  constructor(websocket: boolean) {
    this.websocket = websocket;
    // Arrow functions bind `this`, so apps may pass the methods around detached.
    this.state = {
      is_connected: () => this.outcome === undefined,
      disconnect_reason: () => (this.outcome && !this.outcome.clean ? this.outcome.reason : undefined),
      disconnect_detail: () => (this.outcome && !this.outcome.clean ? this.outcome.detail : undefined),
      close_code: () => this.peerCode ?? (this.outcome && this.websocket ? 1006 : undefined),
      close_reason: () => this.peerReason,
      response_started: () => this.started,
      response_complete: () => this.outcome !== undefined && this.outcome.clean,
      on_disconnect: (cb) => this.onDisconnect(cb),
      on_complete: (cb) => this.onComplete(cb),
      on_end: (cb) => this.onEnd(cb),
      disconnect_future: () => this.disconnectFuture(),
      end_future: () => this.endFuture(),
      abort: (detail) => this.abort(detail),
    };
  }

  get ended(): boolean {
    return this.outcome !== undefined;
  }

  get reason(): string | undefined {
    return this.outcome && !this.outcome.clean ? this.outcome.reason : undefined;
  }

  markStarted(): void {
    this.started = true;
  }

  setPeerClose(code: number, reason: string | undefined): void {
    if (this.peerCode === undefined) {
      this.peerCode = code;
      this.peerReason = reason;
    }
  }

  setAbortHandler(handler: (detail: string | undefined) => void): void {
    this.abortHandler = handler;
  }

  complete(): boolean {
    if (this.outcome) return false;
    this.outcome = { clean: true };
    this.resolveEnd?.(undefined);
    const complete = this.onCompleteCbs;
    const end = this.onEndCbs;
    this.dropCallbacks();
    if (complete || end) {
      queueMicrotask(() => {
        if (complete) for (const cb of complete) safely(cb);
        if (end) for (const cb of end) safely(() => cb(undefined, undefined));
      });
    }
    return true;
  }

  disconnect(reason: string, detail?: string): boolean {
    if (this.outcome) return false;
    this.outcome = { clean: false, reason, detail };
    this.resolveDisconnect?.(reason);
    this.resolveEnd?.(reason);
    const disconnect = this.onDisconnectCbs;
    const end = this.onEndCbs;
    this.dropCallbacks();
    if (disconnect || end) {
      queueMicrotask(() => {
        if (disconnect) for (const cb of disconnect) safely(() => cb(reason, detail));
        if (end) for (const cb of end) safely(() => cb(reason, detail));
      });
    }
    return true;
  }

  private abort(detail: string | undefined): void {
    if (this.outcome) return;
    const handler = this.abortHandler;
    this.abortHandler = undefined;
    this.disconnect('app_abort', detail);
    handler?.(detail);
  }

  private dropCallbacks(): void {
    this.onDisconnectCbs = undefined;
    this.onCompleteCbs = undefined;
    this.onEndCbs = undefined;
  }

  private onDisconnect(cb: (reason: string, detail: string | undefined) => void): void {
    const o = this.outcome;
    if (!o) (this.onDisconnectCbs ??= []).push(cb);
    else if (!o.clean) queueMicrotask(() => safely(() => cb(o.reason, o.detail)));
  }

  private onComplete(cb: () => void): void {
    const o = this.outcome;
    if (!o) (this.onCompleteCbs ??= []).push(cb);
    else if (o.clean) queueMicrotask(() => safely(cb));
  }

  private onEnd(cb: (reason: string | undefined, detail: string | undefined) => void): void {
    const o = this.outcome;
    if (!o) (this.onEndCbs ??= []).push(cb);
    else if (o.clean) queueMicrotask(() => safely(() => cb(undefined, undefined)));
    else queueMicrotask(() => safely(() => cb(o.reason, o.detail)));
  }

  private disconnectFuture(): Promise<string> {
    if (!this.disconnectPromise) {
      const o = this.outcome;
      if (o && !o.clean) this.disconnectPromise = Promise.resolve(o.reason);
      else if (o) this.disconnectPromise = new Promise<string>(() => {}); // clean end: stays pending forever
      else this.disconnectPromise = new Promise<string>((resolve) => (this.resolveDisconnect = resolve));
    }
    return this.disconnectPromise;
  }

  private endFuture(): Promise<string | undefined> {
    if (!this.endPromise) {
      const o = this.outcome;
      if (o) this.endPromise = Promise.resolve(o.clean ? undefined : o.reason);
      else this.endPromise = new Promise<string | undefined>((resolve) => (this.resolveEnd = resolve));
    }
    return this.endPromise;
  }
}

/** An exception in one callback is logged and does not stop the others (§7.1). */
function safely(cb: () => void): void {
  try {
    cb();
  } catch (err) {
    console.error('pagi: a pagi.connection callback threw:', err);
  }
}
