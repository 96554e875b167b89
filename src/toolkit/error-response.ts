/**
 * What a thrown error becomes (the router's policy, also usable alone as the
 * `handleErrors` middleware): an `HttpError` is its response; anything else
 * is logged with its cause and answered `500 Internal Server Error`, never
 * with a stack. `Disconnected` passes through (the client is gone; servers
 * end such a scope quietly), and so does any error once the response has
 * started (the server then makes the truncation visible, PROTOCOL.md §4.6).
 */
import { Disconnected } from '../protocol/errors.js';
import { afterSend, eventTypeOf } from '../protocol/unawaited.js';
import type { App, HeadersInput, Scope, Send, SendEvent } from '../protocol/types.js';
import { HttpError, statusText } from './errors.js';
import { sendText, type ResponseSend } from './response.js';

/** Where unexpected errors are logged; `console` fits, so does the server's `Logger`. */
export interface ErrorLogger {
  error(message: string, error?: unknown): void;
}

/**
 * Renders an `HttpError` as a response. The default sends
 * `text/plain` with the message when `error.expose`, else the status text.
 */
export type ErrorRenderer = (error: HttpError, send: ResponseSend, scope: Scope) => Promise<void>;

/** Options of the error policy (`router()` takes them too). */
export interface ErrorOptions {
  /** Logs unexpected errors (not `HttpError`s below 500). Default `console`. */
  logger?: ErrorLogger;
  /** How an `HttpError` looks on the wire, e.g. as JSON. */
  renderError?: ErrorRenderer;
}

const RESPONSE_STARTS = new Set(['http.response.start', 'sse.start', 'websocket.accept', 'websocket.close']);

/** The default rendering: `text/plain`, the message (or the status text when not exposed). */
export function renderTextError(error: HttpError, send: ResponseSend): Promise<void> {
  return sendErrorText(send, error.status, error.expose ? error.message : statusText(error.status), error.headers);
}

/** An error answer as `renderTextError` writes it: `text/plain`, `x-content-type-options: nosniff`. */
export function sendErrorText(send: ResponseSend, status: number, text: string, headers: HeadersInput): Promise<void> {
  return sendText(send, status, text, [...headers, ['x-content-type-options', 'nosniff']]);
}

/**
 * A `send` that remembers the responses (and WebSocket accepts/closes) it
 * passed on, so an error after one went out is not answered a second time.
 *
 * Not async, and no handler on the server's promise: the promise goes back
 * untouched, so a send the app forgets to await is still reported by the
 * server instead of ending the process (deviation 9). Whether a start was
 * accepted is only asked after an error, so only that path waits for it.
 */
export class StartTracker {
  /** The tracking `send` to hand to the app. */
  readonly send: Send;
  private starts: Promise<void>[] | undefined;

  constructor(inner: Send) {
    this.send = (event: SendEvent) => {
      const sent = inner(event);
      if (RESPONSE_STARTS.has(eventTypeOf(event))) (this.starts ??= []).push(sent);
      return sent;
    };
  }

  /** Whether a start sent so far was accepted (waits for those still in flight). */
  async started(): Promise<boolean> {
    if (this.starts === undefined) return false;
    for (const sent of this.starts) if (await fulfils(sent)) return true;
    return false;
  }
}

/** Whether `promise` fulfils, found without counting as its awaiter (the server still reports it). */
function fulfils(promise: Promise<void>): Promise<boolean> {
  return new Promise((resolve) => afterSend(promise, resolve));
}

/**
 * Answers `error` (see the module comment), or rethrows it when it cannot
 * be answered.
 */
export async function answerError(error: unknown, scope: Scope, send: Send, tracker: StartTracker, options: ErrorOptions): Promise<void> {
  if (error instanceof Disconnected || scope.type === 'lifespan' || (await tracker.started())) throw error;
  let answer: HttpError;
  if (error instanceof HttpError) {
    answer = error;
    if (answer.status >= 500) log(options, scope, error);
  } else {
    log(options, scope, error);
    answer = new HttpError(500, undefined, { cause: error });
  }
  await (options.renderError ?? renderTextError)(answer, send, scope);
}

/**
 * Middleware: runs `app`, and turns what it throws into a response by the
 * router's rules (`HttpError` → that response, anything else → a logged 500),
 * for apps written without `router()`.
 */
export function handleErrors(app: App, options: ErrorOptions = {}): App {
  return async (scope, receive, send) => {
    if (scope.type === 'lifespan') return app(scope, receive, send);
    const tracker = new StartTracker(send);
    try {
      await app(scope, receive, tracker.send);
    } catch (error) {
      await answerError(error, scope, send, tracker, options);
    }
  };
}

function log(options: ErrorOptions, scope: Scope, error: unknown): void {
  const where = scope.type === 'lifespan' ? 'lifespan' : `${'method' in scope ? scope.method : 'WEBSOCKET'} ${scope.path}`;
  (options.logger ?? console).error(`pagi/toolkit: unhandled error in ${where}`, error);
}
