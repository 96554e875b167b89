/**
 * One `lifespan` scope delivered to several apps (PROTOCOL.md §9), for the
 * intermediaries that hold more than one app (`mount`, `cascade`).
 *
 * Each app gets its own `receive`/`send` pair and its own send validator,
 * while the scope copies share the one `state` object, so whatever an app puts
 * there at startup reaches every later scope. The composite answers startup
 * once every app has answered or left: `failed` (naming the failing apps and
 * the causes) if any app failed, `complete` otherwise; when no app takes part,
 * the composite declines too (`LifespanDeclined`).
 *
 * Which apps take part. Most apps behind a mount are plain HTTP handlers that
 * never look at `scope.type`; they must not stop the server from starting:
 * - An app that fails before it has received `lifespan.startup` — a send that
 *   rejects, or its promise rejecting — has no lifespan: it is left out, with
 *   one warning naming it (none for a deliberate `UnsupportedScope` or a
 *   nested composite's `LifespanDeclined`). So is an app that sends an
 *   `http.*`/`sse.*`/`websocket.*` event on the lifespan scope at any point
 *   before answering: that is an HTTP handler that read `lifespan.startup` as
 *   if it were its request body.
 * - An app that returns before answering is left out too (the polite decline),
 *   with a warning only if it had received `lifespan.startup`.
 * - An app that received `lifespan.startup` and then fails before answering
 *   is a lifespan app whose startup failed: the composite answers
 *   `lifespan.startup.failed` with the cause, so the server logs it and exits
 *   non-zero. Never silently.
 *
 * A member's sends that nobody awaits are reported through the warning
 * callback, never as unhandled rejections (§1 deviation 9).
 */
import { PagiError, UnsupportedScope, describeType } from '../protocol/errors.js';
import { eventTypeOf, immediateSend, unawaitedSendMessage, type UnawaitedSendSink } from '../protocol/unawaited.js';
import { createSendValidator, type NormalizedSendEvent, type SendValidator } from '../protocol/validate.js';
import type { App, LifespanReceiveEvent, LifespanScope, Receive, Send } from '../protocol/types.js';

/** Where composites report apps left out of lifespan and unawaited sends. */
export type LifespanWarning = (message: string, error?: unknown) => void;

/** How one app's part in the startup (or shutdown) ended. */
type Answer = { kind: 'complete' } | { kind: 'failed'; message: string } | { kind: 'out' };

class LifespanMember implements UnawaitedSendSink {
  private readonly validator: SendValidator;
  private readonly send: Send;
  private readonly inbox: LifespanReceiveEvent[] = [];
  private readers: Array<() => void> = [];
  private waitingAnswer: ((answer: Answer) => void) | undefined;
  /** Resolves when the app's promise settles; never rejects. */
  readonly settled: Promise<void>;
  private receivedStartup = false;
  private answeredStartup = false;
  /** Left out of lifespan: no more events, no more reports. */
  private out = false;
  private ended = false;

  constructor(
    readonly label: string,
    app: App,
    scope: LifespanScope,
    private readonly warn: LifespanWarning,
  ) {
    this.validator = createSendValidator(scope);
    this.send = immediateSend(
      this.validator,
      this,
      (event) => this.answered(event),
      (event, error) => this.rejected(event, error),
    );
    const member = { ...scope };
    this.settled = Promise.resolve()
      .then(() => app(member, this.receive, this.send))
      .then(
        () => this.appEnded(false, undefined),
        (error: unknown) => this.appEnded(true, error),
      );
  }

  /** Delivers startup or shutdown; resolves with this app's answer, or `out` when it left. */
  ask(event: LifespanReceiveEvent): Promise<Answer> {
    if (this.out || this.ended) return Promise.resolve({ kind: 'out' });
    const answer = new Promise<Answer>((resolve) => (this.waitingAnswer = resolve));
    if (event.type === 'lifespan.shutdown') this.validator.noteShutdownDelivered();
    this.inbox.push(event);
    const readers = this.readers;
    this.readers = [];
    for (const wake of readers) wake();
    return answer;
  }

  /** Answered startup with `complete` and still running: it gets `lifespan.shutdown`. */
  get running(): boolean {
    return this.answeredStartup && !this.out && !this.ended;
  }

  private answer(answer: Answer): void {
    const waiting = this.waitingAnswer;
    this.waitingAnswer = undefined;
    waiting?.(answer);
  }

  /** Leaves the app out of lifespan; `why` (if any) is the one warning about it. */
  private leave(why: string | undefined, error?: unknown): void {
    if (this.out) return;
    this.out = true;
    if (why !== undefined) this.warn(`${this.label}: ${why}; serving it without lifespan`, error);
    // Any further read stays pending: no more lifespan events exist for it (§9.2).
    this.inbox.length = 0;
    this.answer({ kind: 'out' });
  }

  /** Startup failed for this app: the composite fails startup with the cause. */
  private fail(message: string): void {
    this.answeredStartup = true;
    this.answer({ kind: 'failed', message: `${this.label}: ${message}` });
  }

  private appEnded(failed: boolean, error: unknown): void {
    if (this.out || this.ended) return;
    this.ended = true;
    if (this.answeredStartup) {
      // Ended while running (or during shutdown, where the wait ends now).
      this.answer({ kind: 'out' });
      return;
    }
    if (!failed) {
      this.leave(this.receivedStartup ? 'returned without answering lifespan.startup' : undefined);
    } else if (error instanceof UnsupportedScope || error instanceof LifespanDeclined) {
      this.leave(undefined);
    } else if (!this.receivedStartup) {
      this.leave(`it does not handle lifespan (it failed before receiving lifespan.startup: ${messageOf(error)})`, error);
    } else {
      this.fail(`failed during lifespan startup: ${messageOf(error)}`);
    }
  }

  private readonly receive: Receive = async () => {
    while (this.inbox.length === 0) {
      // After shutdown (or once left out) no further event exists: the read stays pending (§9.2).
      await new Promise<void>((resolve) => this.readers.push(resolve));
    }
    const event = this.inbox.shift() as LifespanReceiveEvent;
    if (event.type === 'lifespan.startup') this.receivedStartup = true;
    return event;
  };

  private answered(event: NormalizedSendEvent): void {
    switch (event.type) {
      case 'lifespan.startup.complete':
        this.answeredStartup = true;
        this.answer({ kind: 'complete' });
        break;
      case 'lifespan.shutdown.complete':
        this.answer({ kind: 'complete' });
        break;
      case 'lifespan.startup.failed':
        this.fail(event.message === '' ? 'lifespan startup failed' : event.message);
        break;
      case 'lifespan.shutdown.failed':
        this.answer({ kind: 'failed', message: `${this.label}: ${event.message}` });
    }
  }

  /** A send of this app was refused; before its startup answer that decides its part. */
  private rejected(event: unknown, error: unknown): void {
    if (this.out || this.answeredStartup) return;
    const type = eventTypeOf(event);
    if (!type.startsWith('lifespan.')) {
      this.leave(`it does not handle lifespan (it sent ${type} on the lifespan scope: ${messageOf(error)})`, error);
    } else if (!this.receivedStartup) {
      this.leave(`it does not handle lifespan (it failed before receiving lifespan.startup: ${messageOf(error)})`, error);
    } else {
      this.fail(`failed during lifespan startup: ${messageOf(error)}`);
    }
  }

  /** UnawaitedSendSink: an app already left out is not reported twice. */
  unawaitedSend(error: unknown, event: unknown): void {
    if (this.out) return;
    this.warn(unawaitedSendMessage(event, `lifespan, ${this.label}`), error);
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
  return `${describeType(error)} ${String(error)}`;
}

/** Thrown when every app of a composite declined lifespan. */
export class LifespanDeclined extends PagiError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('ERR_PAGI_LIFESPAN_DECLINED', `no app supports lifespan (${detail})`, options);
  }
}

/** The default warning: one line on stderr, in the server log's format. */
export function warnOnStderr(message: string): void {
  console.warn(`pagi warn: ${message}`);
}

/**
 * Runs one lifespan scope against `apps` (app → label; an app listed twice is
 * called once). `receive`/`send` are the composite's own; `warn` gets the
 * apps left out and unawaited sends.
 */
export async function fanOutLifespan(
  apps: ReadonlyMap<App, string>,
  scope: LifespanScope,
  receive: Receive,
  send: Send,
  warn: LifespanWarning = warnOnStderr,
): Promise<void> {
  const members = [...apps].map(([app, label]) => new LifespanMember(label, app, scope, warn));

  const startup = await receive();
  if (startup.type !== 'lifespan.startup') throw new PagiError('ERR_PAGI_LIFESPAN', `expected lifespan.startup, got ${startup.type}`);
  const startAnswers = await Promise.all(members.map((m) => m.ask(startup)));

  const failures = startAnswers.flatMap((answer) => (answer.kind === 'failed' ? [answer.message] : []));
  if (failures.length > 0) {
    await send({ type: 'lifespan.startup.failed', message: failures.join('; ') });
    return;
  }
  const running = members.filter((m) => m.running);
  if (running.length === 0) throw new LifespanDeclined(members.map((m) => m.label).join(', '));
  await send({ type: 'lifespan.startup.complete' });

  const shutdown = await receive();
  if (shutdown.type !== 'lifespan.shutdown') throw new PagiError('ERR_PAGI_LIFESPAN', `expected lifespan.shutdown, got ${shutdown.type}`);
  const stopAnswers = await Promise.all(running.map((m) => m.ask(shutdown)));
  const stopFailures: string[] = [];
  stopAnswers.forEach((answer, i) => {
    if (answer.kind === 'failed') stopFailures.push(answer.message);
    else if (answer.kind === 'out') stopFailures.push(`${(running[i] as LifespanMember).label}: ended before answering lifespan.shutdown`);
  });
  if (stopFailures.length > 0) await send({ type: 'lifespan.shutdown.failed', message: stopFailures.join('; ') });
  else await send({ type: 'lifespan.shutdown.complete' });
}
