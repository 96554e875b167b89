/**
 * The private handshake behind the bridge's direct path (issue 11): when
 * `fromExpress` is called with the very `send` the adapter created for a
 * request, and the scope and `receive` are still the adapter's own, nothing
 * stands between them, so Express can be handed Node's own
 * `IncomingMessage`/`ServerResponse` instead of a fake pair, as
 * @fastify/express and hono do.
 *
 * The adapter marks each `send` it creates with a module-private symbol; the
 * bridge asks through `nativeExchangeOf`. Nothing public can set the mark, and
 * anything that wraps `send` (`cascade`, `mount`, `lint`, `TestClient`, any
 * middleware) hides it, so composed apps keep the fake path. `shadow` is the
 * one intermediary that passes it on (for bodiless requests, observing the
 * handed-over response itself: `compose/shadow-direct.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the adapter hands over: the request and response Node made for this scope. */
export interface NativePair {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

export interface NativeExchange {
  /**
   * Gives up the exchange's own `send`/`receive` and hands the Node pair to the
   * caller, who then answers on `res` directly. Returns undefined (and changes
   * nothing) unless `scope` and `receive` are the adapter's, unchanged and
   * unused, and nothing the adapter promised (body limit, lazy
   * `100 Continue`, root path, hooks) needs the protocol path.
   */
  adopt(scope: unknown, receive: unknown): NativePair | undefined;
}

const kNativeExchange = Symbol('pagi.nativeExchange');

type MarkedSend = { [kNativeExchange]?: NativeExchange };

/** Adapter side: marks `send` as the adapter's own for `exchange`. */
export function markNativeSend(send: unknown, exchange: NativeExchange): void {
  (send as MarkedSend)[kNativeExchange] = exchange;
}

/** Bridge side: the exchange behind `send`, when the adapter created it. */
export function nativeExchangeOf(send: unknown): NativeExchange | undefined {
  return (send as MarkedSend)[kNativeExchange];
}
