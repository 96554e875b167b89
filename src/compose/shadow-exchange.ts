/**
 * One shadowed `http` request: the primary answers the client through the
 * real `send`, untouched; the candidate runs concurrently on a copy; when both
 * answers are complete they are compared and the result is counted.
 *
 * The primary's events go to the server first and are observed only once the
 * server accepted them (a `.then` on the send's own promise, which is returned
 * unchanged), so the primary is never held back and never sees an error of
 * the shadow's. A bodiless request lets a `fromExpress` primary keep the
 * bridge's direct path; its answer is then observed on Node's response
 * (`shadow-direct.ts`). The exchange ends, and is counted exactly once, when:
 * both answers are complete (matched / differed), the candidate failed or
 * timed out, or the comparison became impossible (skipped).
 */
import type { App, HTTPScope, Receive, Send, SendEvent } from '../protocol/types.js';
import { createSendValidator, type NormalizedSendEvent, type SendValidator } from '../protocol/validate.js';
import { CandidateRun, type CandidateOutcome } from './shadow-candidate.js';
import { compareResponses, type CompareRules, type ShadowMismatch } from './shadow-compare.js';
import { offerDirectPrimary } from './shadow-direct.js';
import { ObservedResponse } from './shadow-observer.js';
import type { Outcome, ShadowSkipReason } from './shadow-report.js';
import { RequestTee, declaredLength, declaresNoBody } from './shadow-tee.js';

/** One side of a compared exchange, as reported. */
export interface ShadowSide {
  status: number;
  /** Body bytes seen (0 for HEAD). */
  bodyBytes: number;
  /** The first 1 KiB of the body, as UTF-8 text. */
  bodyExcerpt: string;
  /** Milliseconds from the start of the request to this side's terminal event. */
  durationMs: number;
}

/** What identifies the request in a record. */
export interface ShadowRequestInfo {
  method: string;
  /** The full decoded path: `root_path` + `path`. */
  path: string;
  /** The request target as sent: `raw_path`, plus `?query_string` when there is one. */
  target: string;
  /** The route key the request was counted under. */
  route: string;
}

/** Passed to `onDifference`: the answers differed. */
export interface ShadowDifference extends ShadowRequestInfo {
  differences: ShadowMismatch[];
  primary: ShadowSide;
  candidate: ShadowSide;
}

/** Passed to `onCandidateError`: the candidate failed or timed out; the client saw nothing of it. */
export interface ShadowCandidateError extends ShadowRequestInfo {
  kind: 'error' | 'timeout';
  /** What the candidate threw, the send it had rejected, or a `ShadowCandidateFailed`. */
  error: unknown;
}

/** What an exchange needs from the `shadow` that runs it. */
export interface ExchangeContext {
  readonly candidate: App;
  readonly candidateState: Record<string, unknown>;
  readonly rules: CompareRules;
  readonly bodyLimit: number;
  readonly timeoutMs: number;
  readonly jsonLimit: number;
  /** Counts the result, calls the hooks, frees the slot; called exactly once per exchange. */
  done(exchange: ShadowExchange, result: ExchangeResult): void;
  /** The candidate app settled (its concurrency slot is free). */
  released(): void;
}

export type ExchangeResult =
  | { kind: 'matched' }
  | { kind: 'differed'; record: ShadowDifference }
  | { kind: 'failed'; outcome: Extract<Outcome, 'candidateErrors' | 'candidateTimeouts'>; record: ShadowCandidateError }
  | { kind: 'skipped'; reason: ShadowSkipReason };

export class ShadowExchange {
  private readonly primaryView: ObservedResponse;
  private readonly primaryValidator: SendValidator;
  private readonly tee: RequestTee;
  private readonly run: CandidateRun;
  private finished = false;
  private primaryFailed: ShadowSkipReason | undefined;
  /** A `file`/`fh` body of the primary being read back. */
  private primaryReading: Promise<void> | undefined;

  constructor(
    readonly info: ShadowRequestInfo,
    private readonly scope: HTTPScope,
    receive: Receive,
    private readonly upstreamSend: Send,
    private readonly context: ExchangeContext,
  ) {
    const startedAt = performance.now();
    this.primaryView = new ObservedResponse(startedAt, context.jsonLimit, scope.method !== 'HEAD');
    this.primaryValidator = createSendValidator(scope);
    this.tee = new RequestTee(
      receive,
      context.bodyLimit,
      declaresNoBody(scope.http_version, scope.headers),
      declaredLength(scope.headers),
      () => this.run.startTimer(),
      () => this.skip('body-limit'),
      () => this.skip('body-unread'),
    );
    this.run = new CandidateRun(scope, context.candidateState, this.tee, context.timeoutMs, startedAt, context.jsonLimit);
    if (this.tee.bodyComplete) {
      this.run.startTimer();
      // Bodiless: a fromExpress primary served by the adapter may keep the direct path (shadow-direct.ts).
      offerDirectPrimary(this.primarySend, upstreamSend, scope, this.tee.primaryReceive, receive, {
        record: (event) => this.primaryObserved(event),
        trailers: (headers) => (this.primaryView.trailers = headers),
        cut: () => this.skip('primary-incomplete'),
      });
    }
    // The client leaving (or the primary's response being cut) ends the comparison at once.
    scope['pagi.connection'].on_disconnect(() => this.skip('primary-incomplete'));
    void this.run.outcome.then(this.candidateDecided);
    void this.run.settled.then(() => context.released());
  }

  /**
   * Runs the primary now, as if `shadow` were not there, and the candidate on
   * the next turn of the event loop. The primary's promise is the caller's,
   * completion and rejection alike (§11).
   */
  runPrimary(primary: App): Promise<void> {
    let settled: Promise<void>;
    try {
      settled = primary(this.scope, this.tee.primaryReceive, this.primarySend);
    } catch (error) {
      settled = Promise.reject(error);
    }
    settled.then(this.primarySettled, this.primarySettled);
    setImmediate(startCandidate, this.run, this.context.candidate);
    return settled;
  }

  /** The primary's `send`: the server's, unchanged; what it accepted is observed afterwards. */
  private readonly primarySend: Send = (event: SendEvent) => {
    const sent = this.upstreamSend(event);
    sent.then(
      () => this.primaryAccepted(event),
      () => this.primaryGone(),
    );
    return sent;
  };

  private primaryAccepted(event: SendEvent): void {
    if (this.finished || this.primaryFailed !== undefined) return;
    let step;
    try {
      step = this.primaryValidator.check(event);
    } catch {
      // The server took an event this port's validator would not: nothing to compare against.
      this.skip('primary-unreadable');
      return;
    }
    this.primaryValidator.commit(step);
    const reading = this.primaryView.record(step.event);
    if (reading !== undefined) {
      this.primaryReading = reading.then(
        () => this.maybeCompare(),
        () => this.skip('primary-unreadable'),
      );
      return;
    }
    this.maybeCompare();
  }

  /** The primary answered on the adapter's own response (direct path): already on the wire. */
  private primaryObserved(event: NormalizedSendEvent): void {
    if (this.finished || this.primaryFailed !== undefined) return;
    this.primaryView.record(event);
    this.maybeCompare();
  }

  /** A send of the primary was rejected: the client left or the event was refused. */
  private primaryGone(): void {
    if (!this.primaryView.complete) this.primaryFailed = 'primary-incomplete';
  }

  private readonly primarySettled = (): void => {
    if (this.finished) return;
    if (!this.primaryView.complete && this.primaryReading === undefined) this.skip('primary-incomplete');
    else this.tee.primarySettled();
  };

  private readonly candidateDecided = (outcome: CandidateOutcome): void => {
    if (this.finished) return;
    if (outcome.kind === 'error' || outcome.kind === 'timeout') {
      const record: ShadowCandidateError = { ...this.info, kind: outcome.kind, error: outcome.error };
      this.finish({ kind: 'failed', outcome: outcome.kind === 'error' ? 'candidateErrors' : 'candidateTimeouts', record });
      return;
    }
    this.maybeCompare();
  };

  private maybeCompare(): void {
    if (this.finished) return;
    if (this.primaryFailed !== undefined) {
      this.skip(this.primaryFailed);
      return;
    }
    const candidate = this.run.observed;
    if (!this.primaryView.complete || !candidate.complete) return;
    const differences = compareResponses(this.primaryView, candidate, this.context.rules);
    if (differences.length === 0) {
      this.finish({ kind: 'matched' });
      return;
    }
    const record: ShadowDifference = { ...this.info, differences, primary: side(this.primaryView), candidate: side(candidate) };
    this.finish({ kind: 'differed', record });
  }

  private skip(reason: ShadowSkipReason): void {
    if (this.finished) return;
    this.run.cancel(`shadow: exchange skipped (${reason})`);
    this.finish({ kind: 'skipped', reason });
  }

  private finish(result: ExchangeResult): void {
    if (this.finished) return;
    this.finished = true;
    this.context.done(this, result);
  }
}

function startCandidate(run: CandidateRun, candidate: App): void {
  run.start(candidate);
}

function side(view: ObservedResponse): ShadowSide {
  return { status: view.status, bodyBytes: view.bodyBytes, bodyExcerpt: view.excerpt(), durationMs: view.durationMs };
}
