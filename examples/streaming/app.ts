// A response streamed in pieces: every `http.response.body` with `more: true` is one chunk on the wire.
import type { App, ConnectionState } from 'pagi';

export interface StreamingOptions {
  /** Pause between chunks, in milliseconds. */
  intervalMs?: number;
}

export function createApp({ intervalMs = 500 }: StreamingOptions = {}): App {
  return async (scope, _receive, send) => {
    if (scope.type !== 'http' && scope.type !== 'sse') throw new Error(`streaming does not handle '${scope.type}'`);
    const count = Math.min(Number(new URLSearchParams(scope.query_string).get('count') ?? 5) || 5, 100);
    const connection = scope['pagi.connection'];

    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain; charset=utf-8']] });
    for (let i = 1; i <= count; i++) {
      // Each send resolves once Node has taken the bytes, so a slow reader slows this loop down.
      await send({ type: 'http.response.body', body: `chunk ${i} of ${count}\n`, more: true });
      if (!(await pause(intervalMs, connection))) return; // the client left: stop working, send nothing more
    }
    await send({ type: 'http.response.body', body: 'done\n' }); // `more` omitted = false: the end
  };
}

/** Waits `ms`, or less if the connection ends first; resolves false when it ended. */
function pause(ms: number, connection: ConnectionState): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(true), ms);
    void connection.end_future().then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

export const app = createApp();
