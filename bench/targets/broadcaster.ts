// The SSE fan-out clock: ten ticks a second, each a JSON string carrying the wall-clock time it was
// produced (performance.timeOrigin + now(), sub-millisecond and comparable across processes), so
// clients in another process can measure delivery lag.
import { performance } from 'node:perf_hooks';

export const TICKS_PER_SECOND = 10;

type Listener = (data: string) => void;
const listeners = new Set<Listener>();
let waiters: Array<(data: string) => void> = [];
let seq = 0;
let timer: NodeJS.Timeout | undefined;

function tick(): void {
  const data = JSON.stringify({ seq: seq++, t: performance.timeOrigin + performance.now() });
  // Swap the waiter list first: a waiter that resumes and awaits again must land on the next tick.
  const due = waiters;
  waiters = [];
  for (const resolve of due) resolve(data);
  for (const listener of listeners) listener(data);
}

function ensureRunning(): void {
  timer ??= setInterval(tick, 1000 / TICKS_PER_SECOND);
}

/** Resolves with the next tick's data (PAGI apps await it in their send loop). */
export function nextBroadcast(): Promise<string> {
  ensureRunning();
  return new Promise((resolve) => waiters.push(resolve));
}

/** Calls `listener` on every tick (Express handlers write to their responses from it). */
export function onBroadcast(listener: Listener): () => void {
  ensureRunning();
  listeners.add(listener);
  return () => listeners.delete(listener);
}
