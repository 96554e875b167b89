// A WebSocket echo: accept, send back every text and binary message, close when asked to.
import { narrow, type App } from 'pagi';

export const app: App = async (scope, receive, send) => {
  // `narrow` bundles the three arguments so that checking `ctx.type` also narrows what
  // `ctx.receive` yields and what `ctx.send` accepts.
  const ctx = narrow(scope, receive, send);
  if (ctx.type === 'http') {
    // Point at the address the client actually used: the Host header, else the bound address.
    const host = ctx.scope.headers.find(([name]) => name === 'host')?.[1] ?? ctx.scope.server?.join(':') ?? '127.0.0.1';
    const url = `${ctx.scope.scheme === 'https' ? 'wss' : 'ws'}://${host}${ctx.scope.root_path}/`;
    await ctx.send({ type: 'http.response.start', status: 426, headers: [['content-type', 'text/plain'], ['upgrade', 'websocket']] });
    await ctx.send({ type: 'http.response.body', body: `This endpoint speaks WebSocket: try \`npx wscat -c ${url}\`\n` });
    return;
  }
  if (ctx.type !== 'websocket') throw new Error(`websocket-echo does not handle '${ctx.type}'`);

  // The handshake completes only when the app accepts; until then the client waits.
  await ctx.send({ type: 'websocket.accept' });

  for (;;) {
    const event = await ctx.receive();
    if (event.type === 'websocket.disconnect') return; // the peer closed: nothing left to do
    if (event.type !== 'websocket.receive') continue; // `websocket.connect` came first

    if (event.text === 'bye') {
      await ctx.send({ type: 'websocket.close', code: 1000, reason: 'goodbye' });
      return;
    }
    if (event.text !== undefined) await ctx.send({ type: 'websocket.send', text: event.text });
    else await ctx.send({ type: 'websocket.send', bytes: event.bytes });
  }
};
