/**
 * The session's half of the WebSocket direct path (see
 * `_internal/native-upgrade.ts`): decides whether an HTTP/1.1 upgrade may be
 * handed to `fromNodeServer` as Node emitted it, and keeps what the server
 * still owes after the handover — the access log's status (read from the
 * first bytes the library writes) and a 1001 Close at shutdown.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { NativeUpgrade, NativeUpgradeOffer } from '../../_internal/native-upgrade.js';
import type { WebSocketScope } from '../../protocol/types.js';

/**
 * One per HTTP/1.1 session. Remembers the scope as built (after the server's
 * trusted proxy headers), so a scope rewritten by something between the
 * session and `fromNodeServer` is noticed and served the emulated way.
 */
export class UpgradeHandover implements NativeUpgradeOffer {
  private readonly headers: unknown;
  private readonly headerCount: number;
  private readonly rawPath: string;
  private readonly path: string;
  private readonly query: string;

  constructor(
    private readonly scope: WebSocketScope,
    private readonly receive: unknown,
    private readonly native: NativeUpgrade,
    private readonly handOver: () => boolean,
  ) {
    this.headers = scope.headers;
    this.headerCount = scope.headers.length;
    this.rawPath = scope.raw_path;
    this.path = scope.path;
    this.query = scope.query_string;
  }

  adopt(scope: unknown, receive: unknown): NativeUpgrade | undefined {
    const own = this.scope;
    if (scope !== own || receive !== this.receive) return undefined;
    const socket = this.native.socket as Partial<TLSSocket>;
    if (
      own.root_path !== '' ||
      own.headers !== this.headers ||
      own.headers.length !== this.headerCount ||
      own.raw_path !== this.rawPath ||
      own.path !== this.path ||
      own.query_string !== this.query ||
      // Trusted proxy headers rewrote client/scheme: the library would read the proxy's address off
      // the real socket, while the emulated socket carries the scope's.
      own.scheme !== (socket.encrypted === true ? 'wss' : 'ws') ||
      own.client?.[0] !== socket.remoteAddress ||
      own.client?.[1] !== socket.remotePort
    ) {
      return undefined;
    }
    return this.handOver() ? this.native : undefined;
  }
}

type Write = Socket['write'];
type End = Socket['end'];

/**
 * Reports the status line of the first bytes written on `socket` (101, or a
 * refusal's 400/401/...; 0 when they are not an HTTP head), then puts the
 * socket's own `write`/`end` back: frames go out untouched. ws writes its 101
 * with `write` and refuses with `end`; engine.io refuses with `write`.
 */
export function watchAnswerStatus(socket: Duplex, record: (status: number) => void): void {
  const target = socket as Duplex & { write: Write; end: End };
  const write = target.write;
  const end = target.end;
  const ownWrite = Object.hasOwn(target, 'write');
  const ownEnd = Object.hasOwn(target, 'end');
  const seen = (chunk: unknown): void => {
    // Deleted (newest first) rather than reassigned when they were the prototype's: the socket
    // gets back the shape of a socket never watched. With own `write`/`end` left behind, a
    // socket.io echo on Node 24 promoted 51 MB in 6 s (V8 grew the nursery to 64 MB, and every
    // layer ran slower per frame) against 11 MB (16 MB) now and 8 MB for socket.io alone.
    if (ownEnd) target.end = end;
    else delete (target as Partial<typeof target>).end;
    if (ownWrite) target.write = write;
    else delete (target as Partial<typeof target>).write;
    record(statusOf(chunk));
  };
  target.write = function watchedWrite(this: Duplex, chunk: unknown, ...rest: unknown[]): boolean {
    seen(chunk);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Write;
  target.end = function watchedEnd(this: Duplex, chunk?: unknown, ...rest: unknown[]): Duplex {
    if (typeof chunk === 'string' || chunk instanceof Uint8Array) seen(chunk);
    return (end as (...args: unknown[]) => Duplex).call(this, chunk, ...rest);
  } as End;
}

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})/;

function statusOf(chunk: unknown): number {
  let text = '';
  if (typeof chunk === 'string') text = chunk.slice(0, 16);
  else if (chunk instanceof Uint8Array) text = Buffer.from(chunk.buffer, chunk.byteOffset, Math.min(16, chunk.byteLength)).toString('latin1');
  const match = STATUS_LINE.exec(text);
  return match ? Number(match[1]) : 0;
}

/** A server Close frame (unmasked): 1001 "server shutdown". */
const GOING_AWAY = Buffer.from([0x88, 17, 0x03, 0xe9, ...Buffer.from('server shutdown')]);

/**
 * Server shutdown on a handed-over WebSocket: starts the closing handshake
 * with 1001 on the library's behalf. The library writes whole frames per
 * `write` (ws corks header and payload together), so a frame written from
 * another tick lands between frames; the client answers with its Close, the
 * library answers that and ends the socket. What never closes is destroyed
 * when the grace period is over.
 */
export function writeGoingAway(socket: Duplex): void {
  if (socket.writable && !socket.writableEnded) socket.write(GOING_AWAY);
}
