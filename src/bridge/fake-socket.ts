/**
 * The stub socket under the fake request and response. It is a real
 * `Duplex`, so `readable`/`writable`/`destroyed` answer truthfully and
 * `stream.finished()` works on it (Node's `IncomingMessage._destroy` relies on
 * that), but no byte ever travels through it: the response is captured before
 * Node serialises anything.
 */
import { Duplex } from 'node:stream';
import type { RequestScope } from './scope-to-request.js';

/** Who the socket reports to: the exchange that plays Node's http server for it. */
export interface SocketOwner {
  /**
   * Anything destroyed the socket (`req.socket.destroy()`, `res.destroy()`,
   * ...). Called once; the socket says 'close' only after `done()`, so what
   * was already "written" can still go out first.
   */
  socketDestroyed(error: Error | null, done: () => void): void;
  /** The socket emitted 'close' (after its destroy). */
  socketClosed(): void;
  /** The idle timeout set through `setTimeout` fired. */
  socketTimedOut(): void;
}

export class StubSocket extends Duplex {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly remoteFamily: string | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  readonly connecting = false;
  readonly pending = false;
  /** The idle timeout set through `setTimeout`, like `net.Socket#timeout`. */
  timeout: number | undefined;
  /** Node's http server links a socket to its current response through this field. */
  _httpMessage: unknown = null;
  /** Request body bytes handed to the request so far (no head: PAGI carries none). */
  bytesRead = 0;
  /** Response body bytes handed to `send` so far (no head: the serving side writes it). */
  bytesWritten = 0;

  private timer: NodeJS.Timeout | undefined;
  readonly owner: SocketOwner;

  constructor(scope: RequestScope, owner: SocketOwner, highWaterMark: number) {
    super({ allowHalfOpen: true, writableHighWaterMark: highWaterMark });
    this.owner = owner;
    const client = scope.client;
    this.remoteAddress = client?.[0];
    this.remotePort = client?.[1];
    this.remoteFamily = client ? familyOf(client[0]) : undefined;
    const server = scope.server;
    this.localAddress = server?.[0];
    this.localPort = server?.[1] ?? undefined;
    // Express's `req.protocol`/`req.secure` read `socket.encrypted`; a plain
    // `net.Socket` has no such property at all, so it is only defined for TLS.
    if (scope.scheme === 'https') Object.defineProperty(this, 'encrypted', { value: true, enumerable: true });
    // A socket error with no listener would crash the process; Node's http
    // server always listens too (its 'clientError' path).
    this.on('error', ignoreSocketError);
    // First 'close' listener, like the one Node's server adds to every
    // connection, so the owner tears the request down before anyone else hears.
    this.on('close', onStubSocketClose);
    this.on('timeout', onStubSocketTimeout);
  }

  /** Like `net.Socket#readyState`: `'open'` until destroyed. */
  get readyState(): 'open' | 'closed' {
    return this.destroyed ? 'closed' : 'open';
  }

  override _read(): void {
    // The request body reaches the fake IncomingMessage directly.
  }

  override _write(_chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // Responses are captured on the ServerResponse; raw socket writes go nowhere.
    callback();
  }

  /**
   * `socket.end()`: natively the client reads EOF, closes its side, and the
   * server's `socketOnEnd` then destroys the half-closed socket. PAGI has no
   * half-close, so the end becomes that destroy (what was written still goes
   * out first; the response is cut there), one tick later as on a real socket.
   */
  override _final(callback: (error?: Error | null) => void): void {
    callback();
    process.nextTick(destroyEndedSocket, this);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.clearTimer();
    this.owner.socketDestroyed(error, () => callback(error));
  }

  /** Idle timeout like `net.Socket#setTimeout`: emits `'timeout'` after `ms` without activity. */
  setTimeout(ms: number, callback?: () => void): this {
    if (callback) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    this.timeout = ms;
    this.clearTimer();
    if (ms > 0 && !this.destroyed) this.armTimer();
    return this;
  }

  /** Restarts the idle timer; the bridge calls it on every body chunk in or out. */
  touch(): void {
    if (this.timer) this.timer.refresh();
  }

  setNoDelay(_noDelay?: boolean): this {
    return this;
  }

  setKeepAlive(_enable?: boolean, _initialDelay?: number): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  address(): { address: string; family: string; port: number } | Record<string, never> {
    if (this.localAddress === undefined || typeof this.localPort !== 'number') return {};
    return { address: this.localAddress, family: familyOf(this.localAddress), port: this.localPort };
  }

  private armTimer(): void {
    const ms = this.timeout ?? 0;
    this.timer = setTimeout(emitSocketTimeout, ms, this);
    // Like net.Socket's idle timers: never keeps the process alive.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function destroyEndedSocket(socket: StubSocket): void {
  if (!socket.destroyed) socket.destroy();
}

function emitSocketTimeout(socket: StubSocket): void {
  if (!socket.destroyed) socket.emit('timeout');
}

function onStubSocketClose(this: StubSocket): void {
  this.owner.socketClosed();
}

function onStubSocketTimeout(this: StubSocket): void {
  this.owner.socketTimedOut();
}

function ignoreSocketError(): void {
  // Errors reach the bridge through the destroy hook.
}

function familyOf(host: string): string {
  return host.includes(':') ? 'IPv6' : 'IPv4';
}
