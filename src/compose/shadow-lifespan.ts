/**
 * The `lifespan` scope under `shadow` (PROTOCOL.md §9, §11).
 *
 * The primary gets the server's lifespan scope, `receive` and `send` as they
 * are: its answers are the server's answers. The candidate gets its own run of
 * the same events, driven by what the primary reads: `lifespan.startup` when
 * the primary reads it, `lifespan.shutdown` likewise. The candidate fills its
 * own `state` object (merged into each of its request scopes), so the two apps
 * cannot overwrite each other's resources.
 *
 * The candidate cannot hurt the server: its failure or decline never reaches
 * the server, and the primary's startup answer is not held back for it.
 * Requests are shadowed only once the candidate's startup completed (or when
 * it declined lifespan, or no lifespan ran); until then, and after a failed
 * startup, they are skipped (`candidate-unavailable`). At shutdown the
 * primary's answer waits for the candidate's, at most `timeoutMs` longer, so
 * the candidate can release what it opened.
 */
import { createSendValidator, type SendValidator } from '../protocol/validate.js';
import type { App, LifespanReceiveEvent, LifespanScope, Receive, Send, SendEvent } from '../protocol/types.js';
import type { CandidateLifespanStatus } from './shadow-report.js';

const noop = (): void => {};

export class CandidateLifespan {
  status: CandidateLifespanStatus = 'not-run';
  /** Why startup failed, or why the candidate declined lifespan. */
  message: string | undefined;
  /** What the candidate's startup stored; merged into its request scopes. */
  readonly state: Record<string, unknown> = {};
  private inbox: LifespanReceiveEvent[] = [];
  private wakeReader: (() => void) | undefined;
  private shutdownAnswer: Promise<void> | undefined;
  private answerShutdown: (() => void) | undefined;
  private validator: SendValidator | undefined;
  private exited: Promise<void> = Promise.resolve();

  /** Requests may go to the candidate. */
  get available(): boolean {
    return this.status === 'not-run' || this.status === 'running' || this.status === 'declined';
  }

  /** Runs `primary` on the server's lifespan scope, with the candidate alongside. */
  run(primary: App, candidate: App, scope: LifespanScope, receive: Receive, send: Send, timeoutMs: number): Promise<void> {
    const primaryReceive: Receive = async () => {
      const event = await receive();
      if (event.type === 'lifespan.startup') this.startCandidate(candidate, scope, event);
      else if (event.type === 'lifespan.shutdown') this.deliver(event);
      return event;
    };
    const primarySend: Send = async (event: SendEvent) => {
      if (event.type === 'lifespan.shutdown.complete' || event.type === 'lifespan.shutdown.failed') {
        await this.candidateShutdown(timeoutMs);
      }
      return send(event);
    };
    return primary(scope, primaryReceive, primarySend);
  }

  private startCandidate(candidate: App, scope: LifespanScope, startup: LifespanReceiveEvent): void {
    this.status = 'starting';
    this.message = undefined;
    this.inbox = [startup];
    const copy: LifespanScope = { ...scope, state: this.state };
    this.validator = createSendValidator(copy);
    this.shutdownAnswer = new Promise<void>((resolve) => (this.answerShutdown = resolve));
    this.exited = Promise.resolve()
      .then(() => candidate(copy, this.receive, this.send))
      .then(
        () => this.candidateExited(undefined),
        (error: unknown) => this.candidateExited(error instanceof Error ? error : new Error(String(error))),
      );
  }

  private deliver(event: LifespanReceiveEvent): void {
    if (this.status !== 'running') return;
    this.validator?.noteShutdownDelivered();
    this.inbox.push(event);
    const wake = this.wakeReader;
    this.wakeReader = undefined;
    wake?.();
  }

  /** Waits for the candidate's shutdown answer or its exit, at most `timeoutMs`. */
  private async candidateShutdown(timeoutMs: number): Promise<void> {
    if (this.status !== 'running' || this.shutdownAnswer === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.shutdownAnswer, this.exited, bound]);
    clearTimeout(timer);
    this.status = 'stopped';
  }

  private readonly receive: Receive = async () => {
    while (this.inbox.length === 0) {
      // After shutdown no further event exists: the read stays pending (§9.2).
      await new Promise<void>((resolve) => (this.wakeReader = resolve));
    }
    return this.inbox.shift() as LifespanReceiveEvent;
  };

  private readonly send: Send = (event: SendEvent) => {
    const result = this.accept(event);
    result.catch(noop);
    return result;
  };

  private async accept(event: SendEvent): Promise<void> {
    const validator = this.validator as SendValidator;
    const step = validator.check(event);
    validator.commit(step);
    const e = step.event;
    if (e.type === 'lifespan.startup.complete') {
      this.status = 'running';
    } else if (e.type === 'lifespan.startup.failed') {
      this.status = 'failed';
      this.message = e.message;
    } else if (e.type === 'lifespan.shutdown.complete' || e.type === 'lifespan.shutdown.failed') {
      if (e.type === 'lifespan.shutdown.failed') this.message = e.message;
      this.answerShutdown?.();
    }
  }

  private candidateExited(error: Error | undefined): void {
    // Returning or throwing before answering startup declines lifespan (§9.2).
    if (this.status === 'starting') {
      this.status = 'declined';
      this.message = error?.message;
    } else if (this.status === 'running' && error !== undefined) {
      // A failure after startup: logged by a server, kept running; the candidate stays in use.
      this.message = error.message;
    }
    this.answerShutdown?.();
  }
}
