// Server-Sent Events: a clock that ticks once a second, with keepalive comments between ticks.
import type { App, ConnectionState } from 'pagi';

export interface ClockOptions {
  tickMs?: number;
  /** Seconds between keepalive comments, which stop proxies from timing out a quiet stream. */
  keepaliveSeconds?: number;
}

export function createApp({ tickMs = 1000, keepaliveSeconds = 15 }: ClockOptions = {}): App {
  return async (scope, _receive, send) => {
    // A browser opening the URL sends `Accept: text/html` and gets an `http` scope: give it a page.
    // The page's EventSource sends `Accept: text/event-stream` to the same URL and gets an `sse` scope.
    if (scope.type === 'http') {
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/html; charset=utf-8']] });
      await send({ type: 'http.response.body', body: PAGE });
      return;
    }
    if (scope.type !== 'sse') throw new Error(`sse example does not handle '${scope.type}'`);

    const connection = scope['pagi.connection'];
    // EventSource reconnects with the last id it saw; carry on counting from there.
    const lastId = Number(scope.headers.find(([name]) => name === 'last-event-id')?.[1] ?? 0);
    let tick = Number.isInteger(lastId) && lastId > 0 ? lastId : 0;

    await send({ type: 'sse.start', status: 200 });
    await send({ type: 'sse.keepalive', interval: keepaliveSeconds, comment: 'keepalive' });
    do {
      tick += 1;
      await send({ type: 'sse.send', event: 'tick', id: String(tick), data: JSON.stringify({ tick, time: new Date().toISOString() }) });
    } while (await pause(tickMs, connection));
    // The loop ends only when the client has gone: a stream that runs until then needs no `sse.close`.
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

const PAGE = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>PAGI clock</title>
<style>body { font: 2rem system-ui, sans-serif; display: grid; place-items: center; height: 90vh; }</style>
<p id="clock">waiting for the first tick…</p>
<script>
  const clock = document.getElementById('clock');
  const source = new EventSource(location.pathname);
  source.addEventListener('tick', (event) => {
    const { tick, time } = JSON.parse(event.data);
    clock.textContent = new Date(time).toLocaleTimeString() + ' (tick ' + tick + ')';
  });
</script>
</html>
`;

export const app = createApp();
