/**
 * The private handshake behind the WebSocket direct path (issue 12), the
 * upgrade twin of `native-exchange.ts`: when `fromNodeServer` is called with
 * the very `send` a `WebSocketSession` created for an HTTP/1.1 upgrade, and
 * the scope and `receive` are still the session's own and untouched, nothing
 * stands between the session and the wrapped server, so its `'upgrade'`
 * listeners can be handed Node's own `(req, socket, head)` instead of a fake
 * socket whose frames are decoded and re-framed on every message.
 *
 * The session marks its `send` with a module-private symbol; `fromNodeServer`
 * asks through `nativeUpgradeOf`. Anything that wraps `send` (`mount`,
 * `cascade`, `lint`, `TestClient`, middleware) hides the mark, so composed
 * apps keep the emulated path.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** What the session hands over: the upgrade exactly as Node emitted it. */
export interface NativeUpgrade {
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
}

export interface NativeUpgradeOffer {
  /**
   * Gives up the session's `send`/`receive` and hands Node's upgrade to the
   * caller, who then owns the socket (the session keeps only tracking it:
   * admission, access log, shutdown). Returns undefined (and changes nothing)
   * unless `scope` and `receive` are the session's, unchanged and unused.
   */
  adopt(scope: unknown, receive: unknown): NativeUpgrade | undefined;
}

const kNativeUpgrade = Symbol('pagi.nativeUpgrade');

type MarkedSend = { [kNativeUpgrade]?: NativeUpgradeOffer };

/** Session side: marks `send` as the session's own. */
export function markUpgradeSend(send: unknown, offer: NativeUpgradeOffer): void {
  (send as MarkedSend)[kNativeUpgrade] = offer;
}

/** `fromNodeServer` side: the session behind `send`, when a session created it. */
export function nativeUpgradeOf(send: unknown): NativeUpgradeOffer | undefined {
  return (send as MarkedSend)[kNativeUpgrade];
}
