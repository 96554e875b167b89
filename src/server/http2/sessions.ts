/**
 * The HTTP/2 connections of one server: each session's idle timeout (no open
 * stream for `timeoutKeepAlive` seconds: GOAWAY and close), the rapid-reset
 * bound, and shutdown (GOAWAY, then streams finish; or cut them all).
 *
 * The idle timer is ours rather than Node's session timeout because that one
 * counts socket activity: a quiet SSE stream would be cut by it.
 */
import http2, { type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { Logger } from '../logger.js';
import { ResetBucket } from './reset-bucket.js';

const { NGHTTP2_NO_ERROR, NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;

interface Tracked {
  readonly owner: Http2Sessions;
  readonly session: Http2Session;
  open: number;
  idleTimer: NodeJS.Timeout | undefined;
  resets: ResetBucket;
}

// A stream's 'close' finds its session's record through this symbol: the server's one
// module-level 'close' listener per stream calls `closeTrackedStream` (no closure per stream).
const kTracked = Symbol('pagi.http2Tracked');
type TrackedStream = ServerHttp2Stream & { [kTracked]?: Tracked | undefined };
type TrackedSession = Http2Session & { [kTracked]?: Tracked | undefined };

export class Http2Sessions {
  private readonly sessions = new Map<Http2Session, Tracked>();
  private closing = false;

  constructor(
    private readonly idleMs: number,
    private readonly maxRapidResets: number,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** A new session ('session' event of the Http2Server). */
  add(session: Http2Session): void {
    const tracked: Tracked = { owner: this, session, open: 0, idleTimer: undefined, resets: new ResetBucket(this.maxRapidResets) };
    this.sessions.set(session, tracked);
    (session as TrackedSession)[kTracked] = tracked;
    // Errors end the session ('close' follows); unhandled they would end the process.
    session.on('error', (err: Error) => this.logger.debug('http2 session error', err));
    session.once('close', () => {
      if (tracked.idleTimer !== undefined) clearTimeout(tracked.idleTimer);
      this.sessions.delete(session);
    });
    if (this.closing) session.close();
    else this.armIdle(session, tracked);
  }

  /** A new stream on a tracked session ('stream' event); its 'close' must call `closeTrackedStream`. */
  addStream(stream: ServerHttp2Stream): void {
    const tracked = (stream.session as TrackedSession | undefined)?.[kTracked];
    if (tracked === undefined || tracked.owner !== this) return;
    tracked.open++;
    if (tracked.idleTimer !== undefined) {
      clearTimeout(tracked.idleTimer);
      tracked.idleTimer = undefined;
    }
    (stream as TrackedStream)[kTracked] = tracked;
  }

  /** @internal A tracked stream closed (see `closeTrackedStream`). */
  streamClosed(stream: ServerHttp2Stream, tracked: Tracked): void {
    tracked.open--;
    const session = tracked.session;
    // A reset before the server answered is the rapid-reset pattern when it repeats.
    if (stream.rstCode !== NGHTTP2_NO_ERROR && !stream.headersSent && !tracked.resets.take()) {
      this.calmDown(session);
      return;
    }
    if (tracked.open === 0 && !session.closed) this.armIdle(session, tracked);
  }

  /** Graceful shutdown: GOAWAY to every session; open streams finish, then each session closes. */
  closeGracefully(): void {
    this.closing = true;
    for (const session of this.sessions.keys()) if (!session.closed) session.close();
  }

  /** Cuts every session now. */
  destroyAll(): void {
    for (const session of this.sessions.keys()) session.destroy();
  }

  private armIdle(session: Http2Session, tracked: Tracked): void {
    if (this.idleMs <= 0) return;
    tracked.idleTimer = setTimeout(() => {
      tracked.idleTimer = undefined;
      if (tracked.open === 0) session.close();
    }, this.idleMs);
    tracked.idleTimer.unref();
  }

  private calmDown(session: Http2Session): void {
    if (session.destroyed) return;
    const where = session.socket?.remoteAddress ?? 'unknown peer';
    this.logger.warn(`http2: ${where} reset more than ${this.maxRapidResets} streams before their answer; connection closed (ENHANCE_YOUR_CALM)`);
    session.goaway(NGHTTP2_ENHANCE_YOUR_CALM);
    // GOAWAY is queued on the socket; destroying with the same code flushes it, then closes.
    session.destroy(undefined, NGHTTP2_ENHANCE_YOUR_CALM);
  }
}

/** A stream given to `addStream` closed: its session's count, idle timer and reset budget. */
export function closeTrackedStream(stream: ServerHttp2Stream): void {
  const tracked = (stream as TrackedStream)[kTracked];
  if (tracked === undefined) return;
  (stream as TrackedStream)[kTracked] = undefined;
  tracked.owner.streamClosed(stream, tracked);
}
