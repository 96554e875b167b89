// A native PAGI app: a countdown as Server-Sent Events for EventSource clients, and as a chunked
// text stream for everyone else. It knows nothing about Express.
import type { App, ConnectionState } from 'pagi';

export function createCountdown({ stepMs = 500 }: { stepMs?: number } = {}): App {
  return async (scope, _receive, send) => {
    if (scope.type !== 'http' && scope.type !== 'sse') throw new Error(`countdown does not handle '${scope.type}'`);
    const from = Math.min(Math.max(Number(new URLSearchParams(scope.query_string).get('from')) || 3, 1), 60);
    const connection = scope['pagi.connection'];
    // Mounted with app.use('/live', …): Express's mount path arrives as root_path, the rest as path.
    const where = `${scope.root_path}${scope.path}`;

    if (scope.type === 'sse') {
      await send({ type: 'sse.start', status: 200 });
      for (let n = from; n > 0; n--) {
        await send({ type: 'sse.send', event: 'count', id: String(n), data: String(n) });
        if (!(await pause(stepMs, connection))) return;
      }
      await send({ type: 'sse.send', event: 'done', data: where });
      await send({ type: 'sse.close' });
      return;
    }

    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain; charset=utf-8']] });
    for (let n = from; n > 0; n--) {
      await send({ type: 'http.response.body', body: `${n}\n`, more: true });
      if (!(await pause(stepMs, connection))) return;
    }
    await send({ type: 'http.response.body', body: `liftoff from ${where}\n` });
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
