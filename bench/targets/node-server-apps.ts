// Targets for issue 12: a ws echo server (the same one as the raw `ws` target) wrapped by
// fromNodeServer and served by serve(), so the bridge's cost shows against native ws.
import http from 'node:http';
import { WebSocketServer } from 'ws';
import { hostNodeServer, hostPagiServe, type Hosted } from './hosts.js';

export async function hostBridgedWebSocketEcho(): Promise<Hosted> {
  const { fromNodeServer } = await import('../../src/index.js');
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  return hostPagiServe(fromNodeServer(server));
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
