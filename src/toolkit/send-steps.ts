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
 */

/** One step: a send (or any work) that starts once the previous step fulfilled. */
export type SendStep = () => Promise<void> | void;

const nativeThen = Promise.prototype.then;
const ignore = (): void => {};

class SendSequence extends Promise<void> {
  // Derived promises (`p.then(f)`, `p.catch(f)`) are plain native promises.
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  /** Someone called `then` (directly or through `await`/`catch`/`finally`/`Promise.all`). */
  observed = false;
  /** The step in flight (or the one that failed), to mark observed when the sequence is. */
  current: Promise<void> | undefined;

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
}

/**
 * Runs `steps` one after another (the first one synchronously, each next one
 * once the previous fulfilled) and returns one promise for all of them: it
 * fulfils after the last step and rejects with the first failure. See the
 * module comment for who reports a failure nothing awaited.
 */
export function sendSteps(steps: readonly SendStep[], what = 'a response helper'): Promise<void> {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const sequence = new SendSequence((res, rej) => {
    resolve = res;
    reject = rej;
  });
  let reportedByProducer = false;
  // The intrinsic `then` does not count as observing, and it makes Node see the sequence handled.
  nativeThen.call(sequence, undefined, (error: unknown) => {
    if (!reportedByProducer && !sequence.observed) process.nextTick(reportIfUnobserved, sequence, error, what);
  });

  let index = 0;
  const fail = (error: unknown, watched: boolean): void => {
    reportedByProducer = watched;
    reject(error);
  };
  const next = (): void => {
    while (index < steps.length) {
      const step = steps[index++] as SendStep;
      let result: Promise<void> | void;
      try {
        result = step();
      } catch (error) {
        fail(error, false);
        return;
      }
      if (result === undefined) continue;
      sequence.current = result;
      if (sequence.observed) observe(result);
      // A promise with its own `then` (the server's watched send, a nested sequence) reports itself.
      const watched = result.then !== nativeThen;
      nativeThen.call(result, next, (error: unknown) => fail(error, watched));
      return;
    }
    sequence.current = undefined;
    resolve();
  };
  next();
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
  promise.then(undefined, ignore);
}

function reportIfUnobserved(sequence: SendSequence, error: unknown, what: string): void {
  if (sequence.observed) return;
  try {
    console.error(`pagi/toolkit: ${what} failed and nothing awaited it (missing await?)`, error);
  } catch {
    // A failing report must not become the crash it exists to prevent.
  }
}
