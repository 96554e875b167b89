/**
 * Which generation of Node's http internals the bridge runs on. The bridge
 * plays Node's own parts (finish, close, end callbacks), and two of them
 * changed within the supported range (`engines: >=20`); each is detected
 * once, at load, by the behaviour itself rather than by version number, so a
 * backport to an older line is picked up too.
 */
import { IncomingMessage, OutgoingMessage } from 'node:http';

/**
 * `res.end(cb)` callbacks: Node 20/22 register them as `'finish'` listeners
 * (so they run after listeners added earlier, and a second `end(cb)` on a
 * small response already reports ERR_STREAM_ALREADY_FINISHED); Node 24 keeps
 * its own list, runs it just before `'finish'` (null on success, the flush
 * error otherwise) and only then reports `writableFinished`. The list lives
 * under a symbol Node 24 creates in the OutgoingMessage constructor.
 */
export const END_CALLBACKS_BEFORE_FINISH: boolean = Object.getOwnPropertySymbols(new OutgoingMessage()).some(
  (symbol) => symbol.description === 'kEndCallbacks',
);

/**
 * A request destroyed cleanly (fully read, no error): Node 24 completes its
 * `_destroy` synchronously, so its `'close'` comes on the next tick, before
 * the response's; Node 20/22 complete it on a later tick, after the
 * response's `'close'`. Probed on a plain object that looks fully read.
 */
export const CLEAN_REQUEST_DESTROY_IS_SYNC: boolean = probeCleanDestroy();

function probeCleanDestroy(): boolean {
  let sync = false;
  // Older Node completes it from a later tick through `onError`, which asks `listenerCount`.
  const fullyRead = {
    readableEnded: true,
    complete: true,
    aborted: false,
    socket: null,
    emit: () => false,
    listenerCount: () => 0,
  };
  try {
    IncomingMessage.prototype._destroy.call(fullyRead as unknown as IncomingMessage, null, () => {
      sync = true;
    });
  } catch {
    // An unexpected shape: keep the older behaviour.
  }
  return sync;
}
