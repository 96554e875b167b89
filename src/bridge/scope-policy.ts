/**
 * What `fromExpress` does with each scope type, in one place:
 *
 * - `http`: the Express handler runs on a fake request/response pair.
 * - `sse`: the same, with the body read from `sse.request` events; Express
 *   answers through `http.response.*` (the refusal path of §6.4), so whatever
 *   it writes reaches the client verbatim and streamed.
 * - `lifespan`: acknowledged; the optional `onStartup`/`onShutdown` hooks run
 *   first, and a hook that throws answers `*.failed` with its message.
 * - `websocket`: refused with `403` (a refusal needs a status ≥ 300) and a
 *   short text body; Express has no WebSocket routes to hand it to.
 * - anything else: the promise rejects with `UnsupportedScope` (§2.1).
 */
import { UnsupportedScope } from '../protocol/errors.js';
import type { LifespanScope, Receive, Scope, Send } from '../protocol/types.js';
import { serveExchange, type ExchangeOptions, type NodeHandler } from './completion.js';

/** Lifespan hooks: receive the lifespan `state` object that every request scope copies. */
export interface LifespanHooks {
  onStartup?: ((state: Record<string, unknown>, scope: LifespanScope) => void | Promise<void>) | undefined;
  onShutdown?: ((state: Record<string, unknown>, scope: LifespanScope) => void | Promise<void>) | undefined;
}

export interface ScopePolicyOptions extends ExchangeOptions, LifespanHooks {}

const WEBSOCKET_REFUSAL = Buffer.from('This endpoint does not accept WebSocket connections.\n', 'utf8');

export async function dispatchScope(
  handler: NodeHandler,
  scope: Scope,
  receive: Receive,
  send: Send,
  options: ScopePolicyOptions,
): Promise<void> {
  switch (scope.type) {
    case 'http':
    case 'sse':
      return serveExchange(handler, scope, receive, send, options);
    case 'lifespan':
      return serveLifespan(scope, receive, send, options);
    case 'websocket':
      return refuseWebSocket(send);
    default:
      throw new UnsupportedScope(String((scope as { type?: unknown }).type), 'fromExpress');
  }
}

async function serveLifespan(scope: LifespanScope, receive: Receive, send: Send, hooks: LifespanHooks): Promise<void> {
  for (;;) {
    const event = await receive();
    if (event.type === 'lifespan.startup') {
      const failure = await runHook(hooks.onStartup, scope);
      if (failure !== undefined) {
        await send({ type: 'lifespan.startup.failed', message: failure });
        return;
      }
      await send({ type: 'lifespan.startup.complete' });
    } else if (event.type === 'lifespan.shutdown') {
      const failure = await runHook(hooks.onShutdown, scope);
      if (failure !== undefined) await send({ type: 'lifespan.shutdown.failed', message: failure });
      else await send({ type: 'lifespan.shutdown.complete' });
      return;
    } else {
      return;
    }
  }
}

/** Runs a lifespan hook; returns the failure message, or undefined on success. */
async function runHook(hook: LifespanHooks['onStartup'], scope: LifespanScope): Promise<string | undefined> {
  if (!hook) return undefined;
  try {
    await hook(scope.state, scope);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

async function refuseWebSocket(send: Send): Promise<void> {
  await send({
    type: 'http.response.start',
    status: 403,
    headers: [
      ['content-type', 'text/plain; charset=utf-8'],
      ['content-length', String(WEBSOCKET_REFUSAL.length)],
    ],
  });
  await send({ type: 'http.response.body', body: WEBSOCKET_REFUSAL });
}
