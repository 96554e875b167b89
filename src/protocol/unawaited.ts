/**
 * Send promises whose rejection nobody awaited (PROTOCOL.md §1 deviation 9):
 * reported once to a sink instead of becoming an unhandled rejection, which
 * since Node 15 ends the process. One request's forgotten `await` must not
 * take the server down.
 *
 * Why a promise subclass: to stop Node calling a rejection unhandled, a
 * handler must be attached, and attaching one hides whether the app attached
 * its own. `WatchedSend` records every `then` call (`await`, `.then`,
 * `.catch`, `.finally` and `Promise.all` all go through it for a non-native
 * promise), and its own handler, attached through the intrinsic `then`, is
 * not counted. When the send rejects and nothing has called `then` by the
 * next tick — Node's own deadline for "unhandled" — the sink is told.
 *
 * Cost: servers return a shared resolved promise for every send that does
 * not wait, which can never reject and needs no watching; only sends that
 * reject or wait (backpressure, queueing) become `WatchedSend`s. Promises
 * derived from a `WatchedSend` (`p.then(f)`) are native: a chain the app
 * builds on a send is the app's own.
 */
import type { Scope, Send } from './types.js';
import type { NormalizedSendEvent, SendValidator } from './validate.js';
import { RESOLVED } from './resolved.js';

/** Where a server reports a send that rejected while nothing awaited it. */
export interface UnawaitedSendSink {
  /** Called at most once per send promise, a tick after it rejected unobserved. */
  unawaitedSend(error: unknown, event: unknown): void;
}

const nativeThen = Promise.prototype.then;

class WatchedSend extends Promise<void> {
  // Derived promises (`p.then(f)`, `p.catch(f)`) are plain native promises.
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  /** Someone other than the watcher called `then` (directly or through `await`/`catch`/`finally`). */
  observed = false;

  override then<R1 = void, R2 = never>(
    onfulfilled?: ((value: void) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this.observed = true;
    return super.then(onfulfilled, onrejected);
  }
}

/**
 * A send promise settled by `executor` (like `new Promise(executor)`) whose
 * rejection is reported to `sink` when nothing awaits it.
 */
export function watchedSend(
  executor: (resolve: () => void, reject: (error: unknown) => void) => void,
  sink: UnawaitedSendSink,
  event: unknown,
): Promise<void> {
  const promise = new WatchedSend(executor);
  watch(promise, sink, event);
  return promise;
}

/** `promise` as a watched send: settles the same way, reported to `sink` when its rejection goes unawaited. */
export function followSend(promise: Promise<void>, sink: UnawaitedSendSink, event: unknown): Promise<void> {
  return watchedSend((resolve, reject) => void nativeThen.call(promise, resolve, reject), sink, event);
}

/**
 * Runs `onSettled` when `promise` settles without counting as its awaiter:
 * an intermediary that only bookkeeps (lint counting pending sends) returns
 * the server's promise to the app untouched, and the server still reports it
 * if the app never awaits it. Never rejects.
 */
export function afterSend(promise: Promise<void>, onSettled: (fulfilled: boolean) => void): void {
  nativeThen.call(
    promise,
    () => onSettled(true),
    () => onSettled(false),
  );
}

/** An already rejected send, reported to `sink` when nothing awaits it. */
export function rejectedSend(error: unknown, sink: UnawaitedSendSink, event: unknown): Promise<void> {
  return watchedSend((_resolve, reject) => reject(error), sink, event);
}

function watch(promise: WatchedSend, sink: UnawaitedSendSink, event: unknown): void {
  // The intrinsic `then` does not mark the promise observed, and it makes Node see it handled.
  nativeThen.call(promise, undefined, (error: unknown) => {
    // `await p` calls p.then one microtask after our handler ran: look again once microtasks drained.
    if (!promise.observed) process.nextTick(reportIfUnobserved, promise, sink, error, event);
  });
}

function reportIfUnobserved(promise: WatchedSend, sink: UnawaitedSendSink, error: unknown, event: unknown): void {
  if (promise.observed) return;
  try {
    sink.unawaitedSend(error, event);
  } catch {
    // A failing report must not become the crash it exists to prevent.
  }
}

/**
 * A `send` that never waits (lifespan scopes): validates the event, commits
 * it, hands it to `apply` and resolves at once; a refused event is passed to
 * `refused` (if given) and rejects as a watched send reported to `sink`.
 */
export function immediateSend(
  validator: SendValidator,
  sink: UnawaitedSendSink,
  apply: (event: NormalizedSendEvent) => void,
  refused?: (event: unknown, error: unknown) => void,
): Send {
  return (event) => {
    let step;
    try {
      step = validator.check(event);
    } catch (error) {
      refused?.(event, error);
      return rejectedSend(error, sink, event);
    }
    validator.commit(step);
    apply(step.event);
    return RESOLVED;
  };
}

/** The `type` of a sent event for messages, or `'event'` when it has none. */
export function eventTypeOf(event: unknown): string {
  const type = typeof event === 'object' && event !== null ? (event as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? type : 'event';
}

/** `GET /p?q` for `http`/`sse`, `websocket /chat`, `lifespan`: names the request in logs. */
export function describeScope(scope: Scope): string {
  if (scope.type === 'lifespan') return 'lifespan';
  const query = scope.query_string === '' ? '' : `?${scope.query_string}`;
  const what = scope.type === 'websocket' ? 'websocket' : scope.method;
  return `${what} ${scope.raw_path}${query}`;
}

/** The one log line for an unawaited failed send. */
export function unawaitedSendMessage(event: unknown, where: string): string {
  return `send(${eventTypeOf(event)}) failed and nothing awaited it (${where}; missing await?)`;
}
