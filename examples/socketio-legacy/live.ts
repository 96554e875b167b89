// The new half: a native PAGI WebSocket endpoint, written against the protocol instead of a library.
import { UnsupportedScope, narrow, type App } from 'pagi';

/** `/live`: greets the client, then answers every text message with its length. */
export const live: App = async (scope, receive, send) => {
  const ctx = narrow(scope, receive, send);
  if (ctx.type === 'http') {
    await ctx.send({ type: 'http.response.start', status: 426, headers: [['content-type', 'text/plain'], ['upgrade', 'websocket']] });
    await ctx.send({ type: 'http.response.body', body: 'This endpoint speaks WebSocket\n' });
    return;
  }
  // A deliberate refusal: mount then serves this app without lifespan, silently.
  if (ctx.type !== 'websocket') throw new UnsupportedScope(ctx.type, 'live');

  await ctx.send({ type: 'websocket.accept' });
  await ctx.send({ type: 'websocket.send', text: 'native PAGI endpoint' });
  for (;;) {
    const event = await ctx.receive();
    if (event.type === 'websocket.disconnect') return;
    if (event.type !== 'websocket.receive' || event.text === undefined) continue;
    await ctx.send({ type: 'websocket.send', text: JSON.stringify({ length: event.text.length }) });
  }
};
