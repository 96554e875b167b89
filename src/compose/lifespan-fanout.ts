/**
 * One `lifespan` scope delivered to several apps (PROTOCOL.md §9), for the
 * intermediaries that hold more than one app (`mount`, `cascade`).
 *
 * Each app gets its own `receive`/`send` pair and its own send validator,
 * while the scope copies share the one `state` object, so whatever an app puts
 * there at startup reaches every later scope. The composite answers startup
 * once every app has answered: `failed` (with the failing apps' messages) if
 * any app failed, `complete` otherwise. An app that declines lifespan (rejects
 * or returns before answering startup) is left out, as a server would; when
 * every app declines, the composite declines too.
 */
import { PagiError } from '../protocol/errors.js';
import { createSendValidator, type SendValidator } from '../protocol/validate.js';
import type { App, LifespanReceiveEvent, LifespanScope, Receive, Send, SendEvent } from '../protocol/types.js';

type Answer = { ok: true } | { ok: false; message: string };

/** Why an app left the lifespan protocol before it was asked to shut down. */
type Exit = { declined: true; error: unknown } | { declined: false };

class LifespanMember {
  private readonly validator: SendValidator;
  private readonly inbox: LifespanReceiveEvent[] = [];
  private readers: Array<() => void> = [];
  private waitingAnswer: ((answer: Answer) => void) | undefined;
  /** Settles when the app's promise settles; never rejects. */
  readonly settled: Promise<Exit>;
  private answeredStartup = false;
  private settledYet = false;

  constructor(
    readonly label: string,
    app: App,
    scope: LifespanScope,
  ) {
    this.validator = createSendValidator(scope);
    const member = { ...scope };
    this.settled = Promise.resolve()
      .then(() => app(member, this.receive, this.send))
      .then(
        () => this.exit(undefined, false),
        (error: unknown) => this.exit(error, true),
      );
  }

  /** Delivers startup or shutdown and waits for this app's answer (or its exit). */
  ask(event: LifespanReceiveEvent): Promise<Answer | Exit> {
    const answer = new Promise<Answer>((resolve) => (this.waitingAnswer = resolve));
    if (event.type === 'lifespan.shutdown') this.validator.noteShutdownDelivered();
    this.inbox.push(event);
    const readers = this.readers;
    this.readers = [];
    for (const wake of readers) wake();
    return Promise.race([answer, this.settled]);
  }

  get startedUp(): boolean {
    return this.answeredStartup && !this.settledYet;
  }

  private exit(error: unknown, rejected: boolean): Exit {
    this.settledYet = true;
    // An app that returns (or throws) before answering startup declines lifespan.
    if (!this.answeredStartup) return { declined: true, error: rejected ? error : undefined };
    return { declined: false };
  }

  private readonly receive: Receive = async () => {
    while (this.inbox.length === 0) {
      // After shutdown no further event exists: the read stays pending (§9.2).
      await new Promise<void>((resolve) => this.readers.push(resolve));
    }
    return this.inbox.shift() as LifespanReceiveEvent;
  };

  private readonly send: Send = async (event: SendEvent) => {
    const step = this.validator.check(event);
    this.validator.commit(step);
    const answer = this.waitingAnswer;
    this.waitingAnswer = undefined;
    switch (step.event.type) {
      case 'lifespan.startup.complete':
      case 'lifespan.shutdown.complete':
        if (step.event.type === 'lifespan.startup.complete') this.answeredStartup = true;
        answer?.({ ok: true });
        return;
      case 'lifespan.startup.failed':
      case 'lifespan.shutdown.failed':
        if (step.event.type === 'lifespan.startup.failed') this.answeredStartup = true;
        answer?.({ ok: false, message: step.event.message });
    }
  };
}

function isAnswer(value: Answer | Exit): value is Answer {
  return 'ok' in value;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Thrown when every app of a composite declined lifespan. */
export class LifespanDeclined extends PagiError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('ERR_PAGI_LIFESPAN_DECLINED', `no app supports lifespan (${detail})`, options);
  }
}

/**
 * Runs one lifespan scope against `apps` (label → app; an app listed twice is
 * called once). `receive`/`send` are the composite's own.
 */
export async function fanOutLifespan(
  apps: ReadonlyMap<App, string>,
  scope: LifespanScope,
  receive: Receive,
  send: Send,
): Promise<void> {
  const members = [...apps].map(([app, label]) => new LifespanMember(label, app, scope));

  const startup = await receive();
  if (startup.type !== 'lifespan.startup') throw new PagiError('ERR_PAGI_LIFESPAN', `expected lifespan.startup, got ${startup.type}`);
  const startAnswers = await Promise.all(members.map((m) => m.ask(startup)));

  const failures: string[] = [];
  const declines: string[] = [];
  startAnswers.forEach((answer, i) => {
    const label = (members[i] as LifespanMember).label;
    if (isAnswer(answer)) {
      if (!answer.ok) failures.push(`${label}: ${answer.message}`);
    } else if (answer.declined) {
      declines.push(answer.error === undefined ? `${label}: returned without answering` : `${label}: ${messageOf(answer.error)}`);
    }
  });
  if (failures.length > 0) {
    await send({ type: 'lifespan.startup.failed', message: failures.join('; ') });
    return;
  }
  const running = members.filter((m) => m.startedUp);
  if (running.length === 0) throw new LifespanDeclined(declines.join('; '));
  await send({ type: 'lifespan.startup.complete' });

  const shutdown = await receive();
  if (shutdown.type !== 'lifespan.shutdown') throw new PagiError('ERR_PAGI_LIFESPAN', `expected lifespan.shutdown, got ${shutdown.type}`);
  const stopAnswers = await Promise.all(running.map((m) => (m.startedUp ? m.ask(shutdown) : m.settled)));
  const stopFailures: string[] = [];
  stopAnswers.forEach((answer, i) => {
    const label = (running[i] as LifespanMember).label;
    if (isAnswer(answer)) {
      if (!answer.ok) stopFailures.push(`${label}: ${answer.message}`);
    } else {
      stopFailures.push(`${label}: ended before answering lifespan.shutdown`);
    }
  });
  if (stopFailures.length > 0) await send({ type: 'lifespan.shutdown.failed', message: stopFailures.join('; ') });
  else await send({ type: 'lifespan.shutdown.complete' });
}
