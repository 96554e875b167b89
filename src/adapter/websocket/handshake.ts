/**
 * Facts about an HTTP/1.1 WebSocket handshake request, checked before any
 * app is involved: once the app has accepted, a failed handshake could no
 * longer be reported to it.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

const KEY = /^[+/0-9A-Za-z]{22}==$/;
// RFC 6455 §4.1: subprotocol values are RFC 2616 tokens.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** True when an upgrade request asks for WebSocket (other upgrades, e.g. h2c, are plain HTTP to us). */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/** What `ws` would reject (the text of the 400), or `undefined` for a valid handshake. */
export function handshakeProblem(req: IncomingMessage): string | undefined {
  if (req.method !== 'GET') return 'WebSocket handshakes must use GET';
  // RFC 6455 §4.1: "The method of the request MUST be GET, and the HTTP version MUST be at least 1.1."
  if (req.httpVersionMajor < 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor < 1)) {
    return 'WebSocket handshakes require HTTP/1.1';
  }
  if (!KEY.test(req.headers['sec-websocket-key'] ?? '')) return 'Missing or invalid Sec-WebSocket-Key header';
  const version = req.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') return 'Missing or invalid Sec-WebSocket-Version header';
  const protocols = req.headers['sec-websocket-protocol'];
  if (protocols !== undefined) {
    for (const p of protocols.split(',')) {
      if (!TOKEN.test(p.trim())) return 'Invalid Sec-WebSocket-Protocol header';
    }
  }
  return undefined;
}

/** Another 'upgrade' listener wrote to (or ended) the socket: it answered, the connection is not ours. */
export function answeredElsewhere(socket: Duplex): boolean {
  return ((socket as Partial<Socket>).bytesWritten ?? 0) > 0 || socket.writableLength > 0 || socket.writableEnded;
}
