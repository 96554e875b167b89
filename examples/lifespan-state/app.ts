// Lifespan: open a resource once at startup, hand it to every request through `state`, close it at shutdown.
import type { App, LifespanScope, Receive, Send } from 'pagi';
import { VisitLog } from './visit-log.js';

export function createApp(logPath: string): App {
  return async (scope, receive, send) => {
    if (scope.type === 'lifespan') return runLifespan(scope, receive, send, logPath);
    if (scope.type !== 'http') throw new Error(`lifespan-state does not handle '${scope.type}'`);

    // `scope.state` is a shallow copy of the lifespan state: the VisitLog object itself is shared.
    const visits = visitLogOf(scope.state);
    const count = await visits.record(scope.path);
    const body = JSON.stringify({ path: scope.path, visits: count });
    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json']] });
    await send({ type: 'http.response.body', body });
  };
}

/** Called once per process: loops on `receive()` for the whole life of the server. */
async function runLifespan(scope: LifespanScope, receive: Receive, send: Send, logPath: string): Promise<void> {
  for (;;) {
    const event = await receive();
    if (event.type === 'lifespan.startup') {
      try {
        scope.state.visits = await VisitLog.open(logPath);
      } catch (error) {
        // The only signal that stops a server from starting: it prints the message and exits non-zero.
        await send({ type: 'lifespan.startup.failed', message: `cannot open ${logPath}: ${(error as Error).message}` });
        return;
      }
      console.log(`visit log opened: ${logPath}`);
      await send({ type: 'lifespan.startup.complete' });
    } else if (event.type === 'lifespan.shutdown') {
      // Sent after the server has drained its connections, so no request is still using the log.
      const visits = visitLogOf(scope.state);
      await visits.close();
      console.log(`visit log closed after ${visits.count} visits`);
      await send({ type: 'lifespan.shutdown.complete' });
      return;
    }
  }
}

function visitLogOf(state: Record<string, unknown>): VisitLog {
  const visits = state.visits;
  if (!(visits instanceof VisitLog)) throw new Error('no visit log in state: did lifespan startup run?');
  return visits;
}
