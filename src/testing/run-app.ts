/**
 * Starts an app the way a server does: on a later microtask (so nothing the
 * app does runs inside the caller's stack) and never rejecting, so every
 * outcome, including a synchronous throw, is reported the same way.
 */
import type { App, Receive, Scope, Send } from '../protocol/types.js';

export interface AppOutcome {
  failed: boolean;
  error: unknown;
}

export function runApp(app: App, scope: Scope, receive: Receive, send: Send): Promise<AppOutcome> {
  return Promise.resolve()
    .then(() => app(scope, receive, send))
    .then(
      (): AppOutcome => ({ failed: false, error: undefined }),
      (error: unknown): AppOutcome => ({ failed: true, error }),
    );
}
