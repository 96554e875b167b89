/**
 * The raw-socket side shared by the echo clients (ws-echo, socketio-echo):
 * the opening handshake over node:http and a bounded closing handshake.
 * The clients write their own frames so the client costs almost nothing.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';

/** A masked Close frame (all-zero key), code 1000. */
export const CLOSE_FRAME = Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);

/** Opens a WebSocket on `httpUrl`; resolves with the upgraded socket and the bytes after the 101. */
export function openRawWebSocket(httpUrl) {
  return new Promise((resolve, reject) => {
    const request = http.request(httpUrl, {
      agent: false,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-version': '13',
      },
    });
    request.once('upgrade', (_res, socket, head) => resolve({ socket, head }));
    request.once('response', (res) => reject(new Error(`handshake answered ${res.statusCode}`)));
    request.once('error', reject);
    request.end();
  });
}

/** Sends a Close frame and ends the socket; destroys it if the peer has not closed within 2 s. */
export function closeRawWebSocket({ socket }) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve();
    }, 2000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.end(CLOSE_FRAME);
  });
}
