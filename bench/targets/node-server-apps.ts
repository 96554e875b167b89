// Targets for issue 12: a ws echo server (the same one as the raw `ws` target) wrapped by
// fromNodeServer and served by serve(), so the bridge's cost shows against native ws.
import http from 'node:http';
import { WebSocketServer } from 'ws';
import { hostPagiServe, type Hosted } from './hosts.js';

export async function hostBridgedWebSocketEcho(): Promise<Hosted> {
  const { fromNodeServer } = await import('../../src/index.js');
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  return hostPagiServe(fromNodeServer(server));
}
