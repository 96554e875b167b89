/**
 * `cascade(...apps)`: try apps in order until one does not decline
 * (PROTOCOL.md §11). The route-by-route migration primitive: native routes
 * first, the legacy Express app (through `fromExpress`) behind them.
 *
 * An app declines by starting a response whose status is in
 * `declineStatuses` (default `[404]`). The decision is taken at that
 * `http.response.start`, before anything is forwarded, so nothing is ever
 * buffered: the first non-declining event and everything after it go
 * straight to the server, which keeps streaming and SSE streaming.
 *
 * Policy per scope type:
 * - `http`: a declining start is swallowed, and so is every later send of that
 *   app (its sends resolve); the next app runs.
 * - `sse`: `sse.start` answers; a refusal (`http.response.start`) with a
 *   declining status declines.
 * - `websocket`: `websocket.accept` answers, and so does `websocket.close`
 *   before accept (a deliberate 403); a refusal with a declining status
 *   declines.
 * - `lifespan`: delivered to every app, each once (`lifespan-fanout.ts`).
 *
 * The request body is replayed to the next app: what earlier apps read is
 * kept, up to `replayLimit` bytes. When no earlier app read anything, the
 * last app gets the server's `receive` itself (nothing to replay). Past the limit there is no further
 * fall-through and the current answer stands, even a 404. A declined app
 * reads the recorded events, then the scope's end event, never more body.
 *
 * The last app's answer is always final. An app that settles without
 * answering is final too: its result goes to the server (a 500 backstop).
 * The cascade settles once the answering app and every declined app before
 * it have settled, with the answering app's error if it failed, else the
 * first declined app's error, so nothing is swallowed.
 */
import { createSendValidator } from '../protocol/validate.js';
import { describeScope, rejectedSend, unawaitedSendMessage, type UnawaitedSendSink } from '../protocol/unawaited.js';
import type { App, ConnectionScope, Receive, ReceiveEvent, Scope, Send, SendEvent } from '../protocol/types.js';
import { fanOutLifespan, warnOnStderr, type LifespanWarning } from './lifespan-fanout.js';
import { notFound } from './not-found.js';
import { ReceiveLog, type LogReader } from './receive-log.js';
import { RESOLVED } from '../protocol/resolved.js';

export interface CascadeOptions {
  /** Start statuses that decline. Default `[404]`; `[404, 405]` also falls through on 405. */
  declineStatuses?: Iterable<number>;
  /** Request-body bytes kept for replay. Default 1 MiB. */
  replayLimit?: number;
  /**
   * Told about apps left out of lifespan (see `mount`) and about sends
   * cascade itself rejected that the app never awaited. Default: one
   * `pagi warn:` line on stderr.
   */
  onWarning?: (message: string, error?: unknown) => void;
}

const DEFAULT_REPLAY_LIMIT = 1024 * 1024;

/** Tries `apps` in order; the first that does not decline answers. */
export function cascade(...apps: App[]): App;
export function cascade(apps: readonly App[], options?: CascadeOptions): App;
export function cascade(...args: unknown[]): App {
  const [first, second] = args;
  const apps = (Array.isArray(first) ? first : args) as App[];
  const options = (Array.isArray(first) ? second : undefined) as CascadeOptions | undefined;
  apps.forEach((app, i) => {
    if (typeof app !== 'function') throw new TypeError(`cascade: app #${i} is not a function`);
  });
  const declines = new Set(options?.declineStatuses ?? [404]);
  const limit = options?.replayLimit ?? DEFAULT_REPLAY_LIMIT;
  if (!(limit >= 0)) throw new TypeError('cascade: replayLimit must be a non-negative number of bytes');
  const lifespanApps = new Map<App, string>();
  apps.forEach((app, i) => {
    if (!lifespanApps.has(app)) lifespanApps.set(app, `cascade app #${i}`);
  });
  const chain = [...apps];
  const warn = options?.onWarning ?? warnOnStderr;

  return function cascaded(scope: Scope, receive: Receive, send: Send): Promise<void> {
    if (scope.type === 'lifespan') return fanOutLifespan(lifespanApps, scope, receive, send, warn);
    if (chain.length === 0) return notFound(scope, receive, send);
    return new CascadeRun(chain, scope, receive, send, declines, limit, warn).run();
  };
}

interface Attempt {
  reader: LogReader;
  /** Settles with the app; never rejects. */
  settled: Promise<{ failed: boolean; error: unknown }>;
  /** The app that runs because this one declined. */
  next: Attempt | undefined;
}

class CascadeRun implements UnawaitedSendSink {
  private readonly log: ReceiveLog;

  constructor(
    private readonly apps: readonly App[],
    private readonly scope: ConnectionScope,
    private readonly upstream: Receive,
    private readonly send: Send,
    private readonly declines: ReadonlySet<number>,
    limit: number,
    private readonly warn: LifespanWarning,
  ) {
    this.log = new ReceiveLog(upstream, limit);
  }

  /** UnawaitedSendSink, for the sends cascade refused itself before an app answered. */
  unawaitedSend(error: unknown, event: unknown): void {
    this.warn(unawaitedSendMessage(event, describeScope(this.scope)), error);
  }

  async run(): Promise<void> {
    let attempt = this.start(0);
    let declinedError: { error: unknown } | undefined;
    for (;;) {
      const outcome = await attempt.settled;
      if (!attempt.next) {
        if (outcome.failed) throw outcome.error;
        if (declinedError) throw declinedError.error;
        return;
      }
      if (outcome.failed) declinedError ??= { error: outcome.error };
      attempt = attempt.next;
    }
  }

  private start(index: number): Attempt {
    const app = this.apps[index] as App;
    const last = index === this.apps.length - 1;
    // Nobody after the last app can replay, so stop recording now.
    if (last) this.log.stop();
    const reader = this.log.reader();
    const attempt: Attempt = { reader, settled: undefined as never, next: undefined };
    const send = last ? this.send : this.deciding(attempt, index);
    // The common fall-through (a GET the earlier apps declined without reading
    // the body): the last app gets the server's own scope, `receive` and `send`,
    // so nothing stands between them (`fromExpress` then takes its direct path).
    // Every earlier reader is detached, so none of them can read upstream again.
    const receive = last && this.log.untouched ? this.upstream : reader.receive;
    attempt.settled = Promise.resolve()
      .then(() => app(this.scope, receive, send))
      .then(
        () => ({ failed: false, error: undefined }),
        (error: unknown) => ({ failed: true, error }),
      );
    return attempt;
  }

  /**
   * The `send` of an app that may still decline. Until it answers, events are
   * checked here (the server never sees them); the answer decides.
   */
  private deciding(attempt: Attempt, index: number): Send {
    const validator = createSendValidator(this.scope);
    let mode: 'undecided' | 'forward' | 'swallow' = 'undecided';
    // Not async: the server's own send promise goes back to the app untouched, so a
    // rejection the app never awaits is reported by the server (deviation 9), not lost
    // in a wrapper promise that would end the process as an unhandled rejection.
    return (event: SendEvent): Promise<void> => {
      if (mode === 'forward') return this.send(event);
      let step;
      try {
        step = validator.check(event);
      } catch (error) {
        return rejectedSend(error, this, event);
      }
      if (mode === 'swallow') {
        validator.commit(step);
        return RESOLVED;
      }
      const e = step.event;
      if (e.type === 'http.response.start' && this.declines.has(e.status) && this.log.replayable) {
        validator.commit(step);
        mode = 'swallow';
        attempt.reader.detach(endEventFor(this.scope));
        attempt.next = this.start(index + 1);
        return RESOLVED;
      }
      // Anything else answers: no fall-through after this.
      mode = 'forward';
      this.log.stop();
      return this.send(event);
    };
  }
}

/** What a declined app reads once the recorded events run out (§7.5). */
function endEventFor(scope: ConnectionScope): ReceiveEvent {
  return scope.type === 'sse' ? { type: 'sse.disconnect' } : { type: 'http.disconnect' };
}
