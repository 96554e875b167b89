// The smallest PAGI app: one function that gets a scope, and answers with two events.
import type { App } from 'pagi';

export const app: App = async (scope, receive, send) => {
  // A browser gets an `http` scope; a client that asks for `text/event-stream` gets an `sse` scope,
  // which may be answered with an ordinary response too. WebSocket and lifespan are not handled here:
  // throwing says so (a server then refuses the WebSocket and carries on without lifespan).
  if (scope.type !== 'http' && scope.type !== 'sse') throw new Error(`hello does not handle '${scope.type}'`);

  await send({
    type: 'http.response.start',
    status: 200,
    headers: [['content-type', 'text/plain; charset=utf-8']],
  });
  await send({ type: 'http.response.body', body: `Hello from PAGI! You asked for ${scope.path}\n` });
};
