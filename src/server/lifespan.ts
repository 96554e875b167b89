/**
 * The `lifespan` scope (PROTOCOL.md §9): startup before listening, shutdown
 * after connections drained. Decline-tolerant: an app that throws, or returns
 * without answering startup, simply does not support lifespan.
 */
import { LifespanStartupFailed } from '../protocol/errors.js';
import type { App, LifespanScope, ReceiveEvent } from '../protocol/types.js';
import { createSendValidator } from '../protocol/validate.js';
import { immediateSend, unawaitedSendMessage, type UnawaitedSendSink } from '../protocol/unawaited.js';
import type { Logger } from './logger.js';

export interface LifespanOptions {
  isWorker: boolean;
  workerNum?: number | undefined;
  /** Seconds to wait for `lifespan.startup.complete`/`failed`. */
  startupTimeout: number;
  /** Seconds to wait for `lifespan.shutdown.complete`/`failed`. */
  shutdownTimeout: number;
  logger: Logger;
}

export interface Lifespan {
  /** The state the app filled during startup; copied into every connection scope. */
  readonly state: Record<string, unknown>;
  /** False when the app declined the lifespan protocol. */
  readonly supported: boolean;
  /** Delivers `lifespan.shutdown` and waits (bounded) for the answer. Never rejects. */
  shutdown(): Promise<void>;
}

type Answer = { ok: true } | { ok: false; message: string };

/**
 * Runs startup. Resolves when the app answered `complete` (or declined);
 * rejects with `LifespanStartupFailed` on `lifespan.startup.failed` or timeout.
 */
export async function startLifespan(app: App, options: LifespanOptions): Promise<Lifespan> {
  const log = options.logger;
  const state: Record<string, unknown> = {};
  const pagi: LifespanScope['pagi'] = { version: '0.5', spec_version: '0.3', is_worker: options.isWorker };
  if (options.workerNum !== undefined) pagi.worker_num = options.workerNum;
  const scope: LifespanScope = { type: 'lifespan', pagi, state };
  const validator = createSendValidator(scope);

  let answerStartup!: (answer: Answer) => void;
  const startupAnswer = new Promise<Answer>((resolve) => (answerStartup = resolve));
  let answerShutdown: ((answer: Answer) => void) | undefined;
  let startupDelivered = false;
  let shutdown: 'none' | 'requested' | 'delivered' = 'none';
  const waiters: Array<(event: ReceiveEvent) => void> = [];

  const deliverShutdown = (resolve: (event: ReceiveEvent) => void) => {
    shutdown = 'delivered';
    validator.noteShutdownDelivered();
    resolve({ type: 'lifespan.shutdown' });
  };

  const receive = (): Promise<ReceiveEvent> => {
    if (!startupDelivered) {
      startupDelivered = true;
      return Promise.resolve({ type: 'lifespan.startup' });
    }
    return new Promise((resolve) => {
      if (shutdown === 'requested') deliverShutdown(resolve);
      // After lifespan.shutdown no more events exist: later calls stay pending (§9.2).
      else if (shutdown === 'none') waiters.push(resolve);
    });
  };

  const sink: UnawaitedSendSink = { unawaitedSend: (error, event) => log.error(unawaitedSendMessage(event, 'lifespan'), error) };
  // Deviation 9: an app that never awaits a refused send (an HTTP handler on the lifespan scope) must not crash the server.
  const send = immediateSend(validator, sink, (e) => {
    if (e.type === 'lifespan.startup.complete') answerStartup({ ok: true });
    else if (e.type === 'lifespan.startup.failed') answerStartup({ ok: false, message: e.message });
    else if (e.type === 'lifespan.shutdown.complete') answerShutdown?.({ ok: true });
    else if (e.type === 'lifespan.shutdown.failed') answerShutdown?.({ ok: false, message: e.message });
  });

  let appSettled = false;
  const appEnded = (async (): Promise<'ended'> => {
    try {
      await app(scope, receive, send);
      if (validator.state === 'starting') {
        log.info('lifespan: the application returned without answering startup; continuing without lifespan');
      }
    } catch (err) {
      if (validator.state === 'starting') {
        log.info('lifespan: the application does not support lifespan; continuing without it', err);
      } else {
        log.error('lifespan: the application failed', err);
      }
    } finally {
      appSettled = true;
      // An app that ends while we wait for its shutdown answer has nothing more to say.
      answerShutdown?.({ ok: true });
    }
    return 'ended';
  })();

  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.startupTimeout * 1000);
  });
  const outcome = await Promise.race([startupAnswer, appEnded, expired]);
  clearTimeout(timer);

  if (outcome === 'timeout') {
    throw new LifespanStartupFailed(`lifespan startup did not complete within ${options.startupTimeout}s`);
  }
  if (outcome === 'ended') {
    return { state, supported: false, shutdown: () => Promise.resolve() };
  }
  if (!outcome.ok) {
    throw new LifespanStartupFailed(outcome.message === '' ? 'lifespan startup failed' : outcome.message);
  }

  return {
    state,
    supported: true,
    async shutdown() {
      if (appSettled || shutdown !== 'none') return;
      const answered = new Promise<Answer>((resolve) => (answerShutdown = resolve));
      const waiter = waiters.shift();
      if (waiter) deliverShutdown(waiter);
      else shutdown = 'requested';
      let shutdownTimer: NodeJS.Timeout | undefined;
      const late = new Promise<'timeout'>((resolve) => {
        shutdownTimer = setTimeout(() => resolve('timeout'), options.shutdownTimeout * 1000);
      });
      const result = await Promise.race([answered, late]);
      clearTimeout(shutdownTimer);
      if (result === 'timeout') log.warn(`lifespan: shutdown did not complete within ${options.shutdownTimeout}s`);
      else if (!result.ok) log.warn(`lifespan: shutdown failed${result.message ? `: ${result.message}` : ''}`);
    },
  };
}
