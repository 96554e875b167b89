/**
 * The WebSocket direct path of `fromNodeServer` (issue 12): when `serve()`
 * runs the app straight on an HTTP/1.1 upgrade (see
 * `_internal/native-upgrade.ts`), the server's `'upgrade'` listeners get
 * Node's own `(req, socket, head)`, exactly as on `server.listen()`: no frame
 * is decoded and re-framed in between. The app's promise settles when the
 * socket has closed, so the session's admission and access log hold until then.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NativeUpgrade } from '../_internal/native-upgrade.js';
import type { WebSocketScope } from '../protocol/types.js';

/**
 * Test switch and probe, not exported from the package: `enabled = false`
 * forces the emulated path; `served` hears which path served each
 * `websocket` scope that reached a server with `'upgrade'` listeners.
 */
export const upgradePath: {
  enabled: boolean;
  served: ((path: 'direct' | 'emulated', scope: WebSocketScope) => void) | undefined;
} = { enabled: true, served: undefined };

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Emits the upgrade to `listeners` as `server.emit('upgrade', ...)` does; settles when the socket closed. */
export function serveUpgradeDirect(server: Server, listeners: UpgradeListener[], native: NativeUpgrade): Promise<void> {
  const { req, socket, head } = native;
  return new Promise<void>((resolve, reject) => {
    socket.once('close', () => resolve());
    try {
      for (const listener of listeners) listener.call(server, req, socket, head);
    } catch (error) {
      // Node would crash on a throwing 'upgrade' listener; here the session logs it, and the socket goes.
      socket.destroy();
      reject(error);
    }
  });
}
