/**
 * The one already-settled promise every hot path returns when it has nothing
 * to wait for (a `send` the transport took at once). Shared, not one per
 * module, so a caller can tell "done already" by identity and skip a `.then`
 * and its microtask (the emulated WebSocket path does, once per frame).
 */
export const RESOLVED: Promise<void> = Promise.resolve();
