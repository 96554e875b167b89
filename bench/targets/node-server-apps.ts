// Targets for issue 12: a ws echo server (the same one as the raw `ws` target) wrapped by
// fromNodeServer and served by serve(), so the bridge's cost shows against native ws. Straight on
// serve() the upgrade takes the direct path; the "composed" targets put cascade([app, fallback]) in
// between (app may still decline, so its `send` is cascade's), which keeps the emulated path:
// frames decoded and re-framed into a fake socket.
import http from 'node:http';
import { WebSocketServer } from 'ws';
import type { App } from '../../src/protocol/types.js';
import { hostNodeServer, hostPagiServe, type Hosted } from './hosts.js';

function wsEchoServer(): http.Server {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  return server;
}

/** `cascade([app, fallback])`: every scope reaches `app` first, through cascade's `send`. */
async function composed(app: App): Promise<App> {
  const { cascade } = await import('../../src/compose/index.js');
  const fallback: App = async (scope, _receive, send) => {
    if (scope.type === 'lifespan') return;
    await send({ type: 'http.response.start', status: 404 });
    await send({ type: 'http.response.body' });
  };
  return cascade([app, fallback]);
}

export async function hostBridgedWebSocketEcho(): Promise<Hosted> {
  const { fromNodeServer } = await import('../../src/index.js');
  return hostPagiServe(fromNodeServer(wsEchoServer()));
}

/** The same ws server through `cascade`: the emulated path. */
export async function hostComposedWebSocketEcho(): Promise<Hosted> {
  const { fromNodeServer } = await import('../../src/index.js');
  return hostPagiServe(await composed(fromNodeServer(wsEchoServer())));
}

/** A socket.io echo server on the websocket transport only: emits every 'echo' event back. */
async function socketIoEchoServer(): Promise<http.Server> {
  const { Server } = await import('socket.io');
  const server = http.createServer();
  const io = new Server(server, { transports: ['websocket'], perMessageDeflate: false });
  io.on('connection', (socket) => {
    socket.on('echo', (value: unknown) => socket.emit('echo', value));
  });
  return server;
}

/** socket.io on its own `server.listen()`: the baseline for the bridged row. */
export async function hostSocketIoEcho(): Promise<Hosted> {
  return hostNodeServer(await socketIoEchoServer());
}

/** The same socket.io server via serve(fromNodeServer(server)). */
export async function hostBridgedSocketIoEcho(): Promise<Hosted> {
  const { fromNodeServer } = await import('../../src/index.js');
  return hostPagiServe(fromNodeServer(await socketIoEchoServer()));
}

/** The same socket.io server through `cascade`: the emulated path. */
export async function hostComposedSocketIoEcho(): Promise<Hosted> {
  const { fromNodeServer } = await import('../../src/index.js');
  return hostPagiServe(await composed(fromNodeServer(await socketIoEchoServer())));
}
