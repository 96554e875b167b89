/**
 * The worker heartbeat (`timeoutWorkerHealthcheck`): each worker sends the
 * primary a beat from a timer, which only runs while its event loop turns;
 * the primary kills a worker whose last beat is older than the timeout (a
 * busy loop, a stuck synchronous call) so that it is replaced.
 */
import cluster from 'node:cluster';

/** Beats per timeout: a few missed beats (a GC pause, a loaded machine) are not a blocked loop. */
const BEATS_PER_TIMEOUT = 5;

export const HEARTBEAT_MESSAGE = { pagi: 'heartbeat' } as const;

/** How often the worker beats and the primary checks, in ms. */
export function heartbeatInterval(timeoutSeconds: number): number {
  return Math.max(50, Math.min(1000, (timeoutSeconds * 1000) / BEATS_PER_TIMEOUT));
}

/** In a cluster worker: starts beating (0 = off). Returns the stop function. */
export function startHeartbeat(timeoutSeconds: number): () => void {
  if (!cluster.isWorker || timeoutSeconds <= 0 || !process.send) return () => {};
  const timer = setInterval(() => {
    if (!process.connected) return;
    try {
      process.send?.(HEARTBEAT_MESSAGE);
    } catch {
      // The primary is gone; the worker leaves with it.
    }
  }, heartbeatInterval(timeoutSeconds));
  timer.unref();
  return () => clearInterval(timer);
}
