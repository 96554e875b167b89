/**
 * `lint(app, options?)`: development middleware that reports protocol misuse
 * by the app it wraps, naming the event and the field (PROTOCOL.md §2, §11,
 * §13; the toolkit's Lint middleware of §14.2, on the port's state machines).
 *
 * Reported: a malformed scope handed in; every send the state machine rejects
 * (wrong order, missing or mistyped keys, unknown event types for the scope,
 * sending after completion); sends after the app returned; returning while a
 * send is still pending or before the response completed (`more: true` never
 * followed by a final body, no `sse.close`, an accepted WebSocket never
 * closed), with a missing-`await` hint; and the app mutating its scope.
 *
 * `mode: 'warn'` (default) reports through `onWarning` (or `console.warn`) and
 * changes nothing else: events still reach the server, which decides. `mode:
 * 'throw'` rejects a bad send with a `LintError` before it reaches the
 * server, and makes an app that returned with problems reject with one. An
 * app's own error is always rethrown unchanged (after its lint report).
 */
import { PagiError } from '../protocol/errors.js';
import type { App, ConnectionState, Receive, ReceiveEvent, Scope, Send, SendEvent } from '../protocol/types.js';
import { createSendValidator, type SendValidator, type Step } from '../protocol/validate.js';
import { afterSend, eventTypeOf, rejectedSend, unawaitedSendMessage, type UnawaitedSendSink } from '../protocol/unawaited.js';
import { checkScope, scopeChanges, snapshotScope, type ScopeSnapshot } from './scope-checks.js';

export interface LintOptions {
  /** `'warn'` (default): report and carry on. `'throw'`: reject with a `LintError`. */
  mode?: 'throw' | 'warn';
  /** Receives every report. Default: `console.warn`. */
  onWarning?: (message: string, error: LintError) => void;
}

/** A protocol misuse found by `lint`. */
export class LintError extends PagiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PAGI_LINT', message, options);
  }
}

const END_EVENTS = new Set(['http.disconnect', 'sse.disconnect', 'websocket.disconnect']);

/** Wraps `app` with protocol checks. */
export function lint(app: App, options: LintOptions = {}): App {
  const mode = options.mode ?? 'warn';
  const onWarning = options.onWarning ?? defaultWarning;
  return function linted(scope: Scope, receive: Receive, send: Send): Promise<void> {
    return new LintRun(app, scope, receive, send, mode, onWarning).run();
  };
}

function defaultWarning(message: string): void {
  console.warn(message);
}

class LintRun implements UnawaitedSendSink {
  private readonly validator: SendValidator;
  private readonly snapshot: ScopeSnapshot;
  private readonly label: string;
  private pendingSends = 0;
  private sawEnd = false;
  private returned = false;
  private mutationReported = false;

  constructor(
    private readonly app: App,
    private readonly scope: Scope,
    private readonly receive: Receive,
    private readonly send: Send,
    private readonly mode: 'throw' | 'warn',
    private readonly onWarning: (message: string, error: LintError) => void,
  ) {
    this.validator = createSendValidator(scope);
    this.snapshot = snapshotScope(scope);
    const s = scope as unknown as Record<string, unknown>;
    this.label = typeof s.method === 'string' ? `${String(s.type)} ${s.method} ${String(s.raw_path)}` : `${String(s.type)} ${String(s.raw_path ?? '')}`.trim();
  }

  async run(): Promise<void> {
    const scopeProblems = checkScope(this.scope);
    for (const problem of scopeProblems) this.warn(this.error(`malformed scope: ${problem}`));
    let failure: { error: unknown } | undefined;
    try {
      await this.app(this.scope, this.lintedReceive, this.lintedSend);
    } catch (error) {
      failure = { error };
    }
    this.returned = true;
    const problems = [...this.mutations(), ...this.endProblems()];
    if (failure) {
      const note = failure.error instanceof Error ? failure.error.message : String(failure.error);
      for (const problem of problems) this.warn(this.error(`${problem} (the app threw: ${note})`));
      throw failure.error;
    }
    if (problems.length === 0) return;
    const errors = problems.map((p) => this.error(p));
    if (this.mode === 'throw') throw errors.length === 1 ? errors[0] : this.error(problems.join('; '));
    for (const error of errors) this.warn(error);
  }

  private readonly lintedReceive: Receive = async () => {
    const event: ReceiveEvent = await this.receive();
    if (END_EVENTS.has(event.type)) this.sawEnd = true;
    if (event.type === 'lifespan.shutdown') this.validator.noteShutdownDelivered();
    return event;
  };

  // Not async: the server's promise goes back to the app untouched (lint only watches it),
  // so a send the app forgets to await is still reported by the server (deviation 9).
  private readonly lintedSend: Send = (event: SendEvent) => {
    const type = eventTypeOf(event);
    const problems: Array<{ message: string; cause?: unknown }> = this.mutations().map((message) => ({ message }));
    if (this.returned) problems.push({ message: `send(${type}) after the app returned (a send that was not awaited?)` });
    let step: Step | undefined;
    try {
      step = this.validator.check(event);
    } catch (error) {
      problems.push({ message: error instanceof Error ? error.message : String(error), cause: error });
    }
    for (const { message, cause } of problems) {
      const error = this.error(message, cause);
      // Throw mode rejects the send with the first problem, before it reaches the server.
      if (this.mode === 'throw') return rejectedSend(error, this, event);
      this.warn(error);
    }
    this.pendingSends++;
    const sent = this.send(event);
    afterSend(sent, (fulfilled) => {
      this.pendingSends--;
      if (fulfilled && step) this.validator.commit(step);
    });
    return sent;
  };

  /** UnawaitedSendSink: a throw-mode rejection the app never awaited is still reported, as a warning. */
  unawaitedSend(error: unknown, event: unknown): void {
    const lintError = error instanceof LintError ? error : this.error(String(error));
    this.onWarning(`${lintError.message} (${unawaitedSendMessage(event, this.label)})`, lintError);
  }

  private mutations(): string[] {
    if (this.mutationReported) return [];
    const changes = scopeChanges(this.snapshot, this.scope);
    if (changes.length === 0) return [];
    this.mutationReported = true;
    return [`the app mutated its scope: ${changes.join(', ')} (copy it instead: app({ ...scope, key: value }, receive, send))`];
  }

  /** What is wrong with the state the app left the scope in. */
  private endProblems(): string[] {
    const problems: string[] = [];
    if (this.pendingSends > 0) problems.push(`the app returned while ${this.pendingSends} send(s) were still pending (missing await?)`);
    if (this.scope.type === 'lifespan') {
      if (this.validator.state === 'stopping') problems.push('the app returned without answering lifespan.shutdown');
      return problems;
    }
    const connection = this.scope['pagi.connection'] as ConnectionState | undefined;
    const clientLeft = this.sawEnd || connection?.disconnect_reason?.() !== undefined;
    if (this.validator.complete || clientLeft) return problems;
    const state = this.validator.state;
    const incomplete = INCOMPLETE[`${this.scope.type}:${state}`] ?? INCOMPLETE[state];
    if (incomplete) problems.push(`the app returned before the response completed: ${incomplete} (missing await?)`);
    return problems;
  }

  private error(message: string, cause?: unknown): LintError {
    return new LintError(`pagi lint [${this.label}]: ${message}`, cause === undefined ? undefined : { cause });
  }

  private warn(error: LintError): void {
    this.onWarning(error.message, error);
  }
}

const INCOMPLETE: Record<string, string> = {
  idle: 'no http.response.start was sent',
  started: 'http.response.start was sent but no http.response.body',
  streaming: 'an http.response.body with more: true was never followed by a final body (more: false)',
  'trailers-due': 'the start promised trailers (trailers: true) but http.response.trailers was never sent',
  'sse:pending': 'neither sse.start nor a refusal (http.response.start) was sent',
  'sse:open': 'sse.start was sent but the stream was never closed with sse.close',
  'websocket:connecting': 'the handshake was neither accepted (websocket.accept) nor refused',
  'websocket:open': 'websocket.accept was sent but the app neither sent websocket.close nor received websocket.disconnect',
};
