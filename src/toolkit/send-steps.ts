/**
 * `sendSteps`: the promise a response helper returns for the several sends
 * it makes (start, then body), built so that a forgotten `await` on the
 * helper never becomes an unhandled rejection (PROTOCOL.md §1 deviation 9).
 *
 * Why not an `async` function: it awaits the server's send promises itself,
 * so the server sees them handled and reports nothing, and its own promise is
 * a native one that nobody watches — an app that calls `sendJson(send, …)`
 * without `await` after the client left would end the process. Instead the
 * helper's promise relays observation: while nothing has called its `then`,
 * the send in flight is left unobserved, so when it rejects the server
 * reports it once with its own logger and request line ("missing await?");
 * once the app awaits the helper, the send in flight (and every later one)
 * is marked observed and the app gets the rejection instead.
 *
 * A step that fails on its own (a `TypeError` for a value JSON cannot hold,
 * `sendFile`'s 404) has no server to report it: when nothing awaits the
 * helper by the next tick, it is logged here, once.
 *
 * Cost: every helper call on the hot path pays for this (sendJson is the
 * toolkit's most common call), so a sequence is one promise object that is
 * its own state machine: two callbacks for all its steps, no per-step
 * closures, and the handler that keeps a rejection from counting as
 * unhandled is attached only when the sequence fails.
 */

/** One step: a send (or any work) that starts once the previous step fulfilled. */
export type SendStep = () => Promise<void> | void;

const nativeThen = Promise.prototype.then;
const ignore = (): void => {};

// The executor of every sequence: hands its resolving functions to the constructor without a closure.
let capturedResolve: () => void = ignore;
let capturedReject: (error: unknown) => void = ignore;
function capture(resolve: () => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

class SendSequence<E> extends Promise<void> {
  // Derived promises (`p.then(f)`, `p.catch(f)`) are plain native promises.
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  /** Someone called `then` (directly or through `await`/`catch`/`finally`/`Promise.all`). */
  observed = false;
  /** The step in flight (or the one that failed), to mark observed when the sequence is. */
  current: Promise<void> | undefined = undefined;
  private index = 0;
  private readonly resolveSequence = capturedResolve;
  private readonly rejectSequence = capturedReject;
  private onStepFulfilled: (() => void) | undefined = undefined;
  private onStepRejected: ((error: unknown) => void) | undefined = undefined;

  /** Runs `steps`, or, with `send`, sends each of `events` (no closure per step). */
  constructor(
    private readonly what: string,
    private readonly steps: readonly SendStep[] | undefined,
    private readonly send: ((event: E) => Promise<void>) | undefined,
    private readonly events: readonly E[] | undefined,
  ) {
    super(capture);
  }

  override then<R1 = void, R2 = never>(
    onfulfilled?: ((value: void) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    if (!this.observed) {
      this.observed = true;
      if (this.current !== undefined) observe(this.current);
    }
    return super.then(onfulfilled, onrejected);
  }

  /** Starts the steps from the current one; called again each time a step fulfils. */
  advance(): void {
    const count = this.send !== undefined ? (this.events as readonly E[]).length : (this.steps as readonly SendStep[]).length;
    while (this.index < count) {
      const at = this.index++;
      let result: Promise<void> | void;
      try {
        result = this.send !== undefined ? this.send((this.events as readonly E[])[at] as E) : ((this.steps as readonly SendStep[])[at] as SendStep)();
      } catch (error) {
        this.fail(error, false);
        return;
      }
      if (result === undefined) continue;
      this.current = result;
      if (this.observed) observe(result);
      this.onStepFulfilled ??= () => this.advance();
      this.onStepRejected ??= (error: unknown) => this.fail(error, this.current !== undefined && watchesItself(this.current));
      nativeThen.call(result, this.onStepFulfilled, this.onStepRejected);
      return;
    }
    this.current = undefined;
    this.resolveSequence();
  }

  /** Rejects the sequence; `watched`: the failed step's producer (the server) reports it if nothing awaits. */
  private fail(error: unknown, watched: boolean): void {
    if (!this.observed) {
      // Attached through the intrinsic `then` (not counted as observing) before the rejection,
      // so Node never sees the sequence unhandled; it reports only what nobody else will.
      nativeThen.call(this, undefined, watched ? ignore : (reason: unknown) => this.reportLater(reason));
    }
    this.rejectSequence(error);
  }

  private reportLater(error: unknown): void {
    // `await p` calls p.then one microtask after this handler ran: look again once microtasks drained.
    if (!this.observed) process.nextTick(reportIfUnobserved, this, error, this.what);
  }
}

/** A promise with its own `then` (the server's watched send, a nested sequence) reports its own failure. */
function watchesItself(promise: Promise<void>): boolean {
  return promise.then !== nativeThen;
}

/**
 * Runs `steps` one after another (the first one synchronously, each next one
 * once the previous fulfilled) and returns one promise for all of them: it
 * fulfils after the last step and rejects with the first failure. See the
 * module comment for who reports a failure nothing awaited.
 */
export function sendSteps(steps: readonly SendStep[], what = 'a response helper'): Promise<void> {
  const sequence = new SendSequence<never>(what, steps, undefined, undefined);
  sequence.advance();
  return sequence;
}

/**
 * `sendSteps` for the common case, each step a `send(event)`: the events go
 * out one after another, each once the previous send fulfilled.
 */
export function sendEvents<E>(send: (event: E) => Promise<void>, events: readonly E[], what = 'a response helper'): Promise<void> {
  const sequence = new SendSequence<E>(what, undefined, send, events);
  sequence.advance();
  return sequence;
}

/** A helper's promise for an error found before anything was sent. */
export function failedSteps(error: unknown, what?: string): Promise<void> {
  return sendSteps(
    [
      () => {
        throw error;
      },
    ],
    what,
  );
}

/** Marks `promise` observed the way an app's `await` would (its producer then stays silent). */
function observe(promise: Promise<void>): void {
  // A native promise has no producer watching it: nothing to tell, and no promise to allocate.
  if (watchesItself(promise)) promise.then(undefined, ignore);
}

function reportIfUnobserved(sequence: SendSequence<unknown>, error: unknown, what: string): void {
  if (sequence.observed) return;
  try {
    console.error(`pagi/toolkit: ${what} failed and nothing awaited it (missing await?)`, error);
  } catch {
    // A failing report must not become the crash it exists to prevent.
  }
}
