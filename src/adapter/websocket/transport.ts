/**
 * What a `WebSocketSession` needs from the connection a handshake came on.
 * HTTP/1.1 Upgrade (`serve()`, `toUpgradeListener`) and HTTP/2 extended
 * CONNECT (RFC 8441) differ only in how the handshake is answered and where
 * a refusal is written; the session (PROTOCOL.md §5) is the same for both.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ConnectionController } from '../../protocol/connection.js';
import type { HeaderPair, WebSocketScope } from '../../protocol/types.js';
import type { NormalizedSendEvent } from '../../protocol/validate.js';

/** The `http.response.*` events a refusal is made of (PROTOCOL.md §5.3). */
export type RefusalEvent = Extract<
  NormalizedSendEvent,
  { type: 'http.response.start' | 'http.response.body' | 'http.response.trailers' }
>;

/** Writes one plain HTTP answer instead of the handshake. */
export interface RefusalWriter {
  /** Writes one validated event; resolves when the transport can take more. */
  write(event: RefusalEvent): Promise<void>;
  /** A complete short `text/plain` answer (403, 500, 503), with extra headers (`retry-after`). Never rejects. */
  plain(status: number, text: string, extraHeaders?: ReadonlyArray<readonly [string, string]>): Promise<void>;
  /** Cuts an unfinished refusal: what was written goes out, no terminator (§4.6). */
  destroy(): void;
  /**
   * The whole refusal reached the transport. The session asks when the
   * connection closes, which can happen before the last `write` resolves
   * (HTTP/2 closes the stream as it sends the end of the response).
   */
  readonly completed: boolean;
}

/** One handshake's connection, as the session sees it. */
export interface WebSocketTransport {
  /**
   * The byte stream. Before the answer it holds whatever the client already
   * sent; after `accept` it carries frames. Its `'close'` ends the session.
   */
  readonly socket: Duplex;
  /** Builds the `websocket` scope (PROTOCOL.md §5.1) around the session's connection state. */
  scope(connection: ConnectionController): WebSocketScope;
  /**
   * Answers the handshake with the app's choice and calls `onOpen` with a `ws`
   * WebSocket over `socket`, synchronously; when the socket is already gone it
   * destroys it instead (the socket's `'close'` reports the departure).
   */
  accept(subprotocol: string | undefined, headers: HeaderPair[], onOpen: (ws: WebSocket) => void): void;
  /** Starts a refusal on this connection. */
  refusal(): RefusalWriter;
  /** True once someone other than the session wrote to the connection: it is theirs. */
  answeredElsewhere(): boolean;
  /** Called once when the socket closed, with the answer's status (101, a refusal's, 0 for none). */
  logAccess?(status: number): void;
}
