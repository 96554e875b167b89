/**
 * One port, two protocols. Cleartext: the first bytes of a connection decide
 * (h2c with prior knowledge starts with the client preface `PRI *
 * HTTP/2.0\r\n\r\nSM\r\n\r\n`; anything else is HTTP/1.x). TLS: ALPN has
 * decided during the handshake (`h2`, else HTTP/1.1). HTTP/2 connections go
 * to `toHttp2`, the others to the listeners Node's HTTP/1 server had, so
 * HTTP/1.1 keeps every limit, timeout and shutdown path it has without HTTP/2.
 */
import type { Server as NetServer, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

type ConnectionListener = (socket: Socket) => void;

export interface Dispatcher {
  /** Connections whose first bytes have not arrived yet (they have no protocol to close them). */
  readonly undecided: ReadonlySet<Socket>;
}

/**
 * Cleartext: takes over `server`'s 'connection' listeners. A connection that
 * sends nothing within `firstByteTimeoutMs` is dropped, as HTTP/1's headers
 * timeout would.
 */
export function dispatchByPreface(server: NetServer, toHttp2: ConnectionListener, firstByteTimeoutMs: number): Dispatcher {
  const http1 = takeListeners(server, 'connection');
  const undecided = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    undecided.add(socket);
    let seen: Buffer | undefined;
    const timer = firstByteTimeoutMs > 0 ? setTimeout(() => socket.destroy(), firstByteTimeoutMs) : undefined;
    const decide = (http2: boolean) => {
      if (timer !== undefined) clearTimeout(timer);
      undecided.delete(socket);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      socket.removeListener('error', ignore);
      socket.pause();
      if (seen !== undefined) socket.unshift(seen);
      if (http2) toHttp2(socket);
      else for (const listener of http1) listener.call(server, socket);
      // HTTP/1's listener reads with 'data', which does not restart a stream paused by hand.
      if (!http2) socket.resume();
    };
    const onData = (chunk: Buffer) => {
      seen = seen === undefined ? chunk : Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      if (seen.compare(PREFACE, 0, n, 0, n) !== 0) decide(false);
      else if (n === PREFACE.length) decide(true);
    };
    const onClose = () => {
      if (timer !== undefined) clearTimeout(timer);
      undecided.delete(socket);
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', ignore);
  });
  return { undecided };
}

/** TLS: takes over `server`'s 'secureConnection' listeners and routes by the ALPN result. */
export function dispatchByAlpn(server: NetServer, toHttp2: ConnectionListener): Dispatcher {
  const http1 = takeListeners(server, 'secureConnection');
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') toHttp2(socket);
    else for (const listener of http1) listener.call(server, socket);
  });
  return { undecided: new Set() };
}

function takeListeners(server: NetServer, event: string): ConnectionListener[] {
  const listeners = server.listeners(event) as ConnectionListener[];
  server.removeAllListeners(event);
  return listeners;
}

function ignore(): void {}
