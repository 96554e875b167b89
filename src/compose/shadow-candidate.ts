/**
 * The candidate side of a shadowed exchange: the candidate app runs on a copy
 * of the scope with its own `pagi.connection`, reads the teed request body,
 * and answers into a sink that validates every event (PROTOCOL.md §2.3, §4.4)
 * and records it, like a server whose client reads at any speed.
 *
 * Nothing the candidate does reaches the client or the caller: a throw, a
 * rejected (invalid or misordered) event, an abort, a return before the end of
 * its response or a timeout each decide the outcome `error`/`timeout` and end
 * its scope (its later sends reject with `Disconnected`, its reads yield
 * `http.disconnect`). Its rejected sends are marked handled, so a missing
 * `await` in the candidate cannot become an unhandled rejection.
 */
import { createConnection, type ConnectionController } from '../protocol/connection.js';
import { Disconnected, OutOfOrder, PagiError } from '../protocol/errors.js';
import type { App, HTTPScope, Send, SendEvent } from '../protocol/types.js';
import { createSendValidator, type SendValidator } from '../protocol/validate.js';
import { ObservedResponse } from './shadow-observer.js';
import type { RequestTee } from './shadow-tee.js';

/** Why the candidate's answer could not be compared, for `onCandidateError`. */
export class ShadowCandidateFailed extends PagiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PAGI_SHADOW_CANDIDATE', message, options);
  }
}

export type CandidateOutcome =
  | { kind: 'complete' }
  | { kind: 'error'; error: unknown }
  | { kind: 'timeout'; error: ShadowCandidateFailed }
  | { kind: 'cancelled' };

// Resolved sends hop through the event loop after this many body bytes, so a
// candidate producing a large body in a tight loop cannot starve the primary.
const YIELD_BYTES = 64 * 1024;
const noop = (): void => {};

export class CandidateRun {
  readonly observed: ObservedResponse;
  /** Resolves with the outcome once it is decided (complete, failed, timed out, cancelled). */
  readonly outcome: Promise<CandidateOutcome>;
  /** Resolves when the candidate app's promise settles; never rejects. */
  readonly settled: Promise<void>;
  private decided: CandidateOutcome | undefined;
  private decide!: (outcome: CandidateOutcome) => void;
  private readonly connection: ConnectionController;
  private readonly validator: SendValidator;
  private timer: NodeJS.Timeout | undefined;
  private sinceYield = 0;
  private readonly scope: HTTPScope;
  private markSettled!: () => void;

  constructor(
    scope: HTTPScope,
    candidateState: Record<string, unknown>,
    private readonly tee: RequestTee,
    private readonly timeoutMs: number,
    startedAt: number,
    jsonLimit: number,
  ) {
    this.outcome = new Promise((resolve) => (this.decide = resolve));
    this.connection = createConnection();
    this.connection.setAbortHandler((detail) =>
      this.fail({ kind: 'error', error: new ShadowCandidateFailed(`the candidate called abort(${detail === undefined ? '' : JSON.stringify(detail)})`) }),
    );
    this.observed = new ObservedResponse(startedAt, jsonLimit, scope.method !== 'HEAD');
    this.scope = candidateScope(scope, candidateState, this.connection);
    this.validator = createSendValidator(this.scope);
    this.settled = new Promise((resolve) => (this.markSettled = resolve));
  }

  /**
   * Runs the candidate app. Called on the next turn of the event loop after
   * the primary started, so that the primary's synchronous work (often its
   * whole response) goes first and the candidate's CPU time lands after it.
   */
  start(app: App): void {
    if (this.decided !== undefined) {
      // Cancelled before it ran: nothing to wait for.
      this.markSettled();
      return;
    }
    Promise.resolve()
      .then(() => app(this.scope, this.tee.candidateReceive, this.send))
      .then(
        () => this.appSettled(undefined, false),
        (error: unknown) => this.appSettled(error, true),
      )
      .finally(this.markSettled);
  }

  /** Starts the clock: the candidate has the whole request body. */
  startTimer(): void {
    if (this.timer !== undefined || this.decided !== undefined) return;
    this.timer = setTimeout(() => {
      const seconds = this.timeoutMs / 1000;
      this.fail({ kind: 'timeout', error: new ShadowCandidateFailed(`the candidate did not complete its response within ${seconds} s`) }, 'client_closed');
    }, this.timeoutMs);
    // A pending comparison must not keep a process alive.
    this.timer.unref();
  }

  /** The comparison was abandoned (primary incomplete, body over the limit): end the candidate's scope. */
  cancel(detail: string): void {
    this.fail({ kind: 'cancelled' }, 'client_closed', detail);
  }

  private readonly send: Send = (event: SendEvent) => {
    const result = this.accept(event);
    result.catch(noop);
    return result;
  };

  private async accept(event: SendEvent): Promise<void> {
    const reason = this.connection.reason;
    if (reason !== undefined) throw new Disconnected(reason);
    if (this.decided !== undefined) throw new OutOfOrder(String((event as { type?: unknown }).type), 'done', 'nothing: the response is complete');
    let step;
    try {
      step = this.validator.check(event);
    } catch (error) {
      // Garbage: a server would reject this send; the shadow also stops listening.
      this.fail({ kind: 'error', error });
      throw error;
    }
    this.validator.commit(step);
    if (step.noop) return;
    if (this.validator.started) this.connection.markStarted();
    const reading = this.observed.record(step.event);
    if (reading !== undefined) await reading;
    if (this.observed.complete) {
      this.finish();
      return;
    }
    const e = step.event;
    if (e.type === 'http.response.body' && e.kind === 'inline') {
      this.sinceYield += e.body.length;
      if (this.sinceYield >= YIELD_BYTES) {
        this.sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }

  private finish(): void {
    if (this.decided !== undefined) return;
    this.decided = { kind: 'complete' };
    this.clearTimer();
    this.connection.complete();
    this.tee.end();
    this.decide(this.decided);
  }

  private fail(outcome: Exclude<CandidateOutcome, { kind: 'complete' }>, reason = 'server_error', detail?: string): void {
    if (this.decided !== undefined) return;
    this.decided = outcome;
    this.clearTimer();
    const why = detail ?? ('error' in outcome && outcome.error instanceof Error ? outcome.error.message : undefined);
    this.connection.disconnect(reason, why);
    this.tee.end();
    this.decide(outcome);
  }

  private appSettled(error: unknown, threw: boolean): void {
    if (threw) {
      this.fail({ kind: 'error', error });
      return;
    }
    const what = this.validator.started ? 'returned before its response was complete' : 'returned without a response';
    this.fail({ kind: 'error', error: new ShadowCandidateFailed(`the candidate ${what}`) });
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * The candidate's scope: a copy (§11) with its own `pagi.connection`, no
 * `pagi.transport` (the sink has no buffer to report) and a `state` copy that
 * also holds what the candidate's own lifespan startup stored.
 */
function candidateScope(scope: HTTPScope, candidateState: Record<string, unknown>, connection: ConnectionController): HTTPScope {
  const { 'pagi.transport': _transport, ...rest } = scope;
  return { ...rest, state: { ...scope.state, ...candidateState }, 'pagi.connection': connection.state };
}
