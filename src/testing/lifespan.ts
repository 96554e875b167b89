/**
 * The `lifespan` scope driven by the test client (PROTOCOL.md §9): startup on
 * `client.lifespan()`, shutdown on `handle.stop()`. The `state` the app fills
 * at startup is copied into every later scope of the client.
 */
import { LifespanStartupFailed } from '../protocol/errors.js';
import type { App, LifespanScope } from '../protocol/types.js';
import { createSendValidator, type SendValidator } from '../protocol/validate.js';
import { deferred, withDeadline, type Deferred } from './deadline.js';
import { LifespanShutdownFailed, LifespanUnsupported } from './errors.js';
import { ReceiveQueue } from './receive-queue.js';
import { runApp } from './run-app.js';
import { immediateSend, unawaitedSendMessage, type UnawaitedSendSink } from '../protocol/unawaited.js';

type Answer = { ok: true } | { ok: false; message: string };

export interface LifespanHandle {
  /** The lifespan `state` (the same object later scopes copy). */
  readonly state: Record<string, unknown>;
  /** Delivers `lifespan.shutdown` and waits for the answer; rejects on `shutdown.failed`. */
  stop(): Promise<void>;
}

/** Runs startup; resolves once the app answered `lifespan.startup.complete`. */
export async function startLifespan(
  app: App,
  state: Record<string, unknown>,
  timeoutMs: number,
  onUnawaitedSend: (message: string, error: unknown) => void,
): Promise<LifespanHandle> {
  const queue = new ReceiveQueue();
  const scope: LifespanScope = { type: 'lifespan', pagi: { version: '0.5', spec_version: '0.3', is_worker: false }, state };
  const validator: SendValidator = createSendValidator(scope);
  let answer: Deferred<Answer> = deferred();
  const sink: UnawaitedSendSink = { unawaitedSend: (error, event) => onUnawaitedSend(unawaitedSendMessage(event, 'lifespan'), error) };
  const send = immediateSend(validator, sink, (e) => {
    if (e.type === 'lifespan.startup.failed' || e.type === 'lifespan.shutdown.failed') answer.resolve({ ok: false, message: e.message });
    else answer.resolve({ ok: true });
  });
  const settled = runApp(app, scope, queue.receive, send);
  // The app returning first means it did not answer (a decline, or a crash after startup).
  void settled.then(({ failed, error }) => answer.reject(failed ? new LifespanUnsupported({ cause: error }) : new LifespanUnsupported()));

  queue.push({ type: 'lifespan.startup' });
  const started = await withDeadline(answer.promise, timeoutMs, 'lifespan.startup.complete');
  if (!started.ok) throw new LifespanStartupFailed(started.message);

  let stopping: Promise<void> | undefined;
  return {
    state,
    stop: () => {
      stopping ??= (async () => {
        answer = deferred();
        void settled.then(() => answer.reject(new LifespanShutdownFailed('the app returned without answering lifespan.shutdown')));
        validator.noteShutdownDelivered();
        queue.push({ type: 'lifespan.shutdown' });
        const stopped = await withDeadline(answer.promise, timeoutMs, 'lifespan.shutdown.complete');
        if (!stopped.ok) throw new LifespanShutdownFailed(stopped.message);
      })();
      return stopping;
    },
  };
}
