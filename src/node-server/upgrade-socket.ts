/**
 * The socket a Node `'upgrade'` listener (ws, socket.io) gets from
 * `fromNodeServer`: a Duplex that behaves like the TCP socket it expects.
 * What the library writes is parsed — first its HTTP answer to the
 * handshake, then (after a 101) server frames, decoded by `ws`'s own
 * `Receiver`; what the PAGI client sends is framed into it by `ws`'s
 * `Sender` (masked, as a client's frames are).
 */
import { Duplex } from 'node:stream';
// Named exports: ws's ESM wrapper exports Receiver/Sender by name (its default is the bare WebSocket class).
import * as wsModule from 'ws';
import type { HeaderPair } from '../protocol/types.js';
import { RESOLVED } from '../protocol/resolved.js';

interface FrameReceiver {
  write(chunk: Buffer, cb?: (err?: Error | null) => void): boolean;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'conclude', listener: (code: number, reason: Buffer) => void): this;
  on(event: 'ping', listener: (data: Buffer) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}
interface FrameSender {
  send(data: Uint8Array | string, options: { binary: boolean; fin: boolean; mask: boolean; compress: boolean }, cb?: () => void): void;
  pong(data: Buffer, mask: boolean, cb?: () => void): void;
  close(code: number | undefined, reason: string, mask: boolean, cb?: () => void): void;
}
const { Receiver, Sender } = wsModule as unknown as {
  Receiver: new (options: { isServer: boolean; maxPayload: number }) => FrameReceiver;
  Sender: new (
    socket: { write(chunk: Buffer | string, cb?: () => void): boolean; cork(): void; uncork(): void },
    extensions: undefined,
    generateMask: (mask: Buffer) => void,
  ) => FrameSender;
};

/** What the library answered to the handshake. */
export interface HandshakeAnswer {
  status: number;
  headers: HeaderPair[];
}

/** Callbacks into the PAGI side; each returned promise holds the library's write until it settles. */
export interface UpgradeSocketEvents {
  answer(answer: HandshakeAnswer): Promise<void>;
  /** Refusal body bytes (after a non-101 answer). */
  body(chunk: Buffer): Promise<void>;
  message(data: Buffer, isBinary: boolean): Promise<void>;
  close(code: number, reason: string): Promise<void>;
  /** The library ended or destroyed the socket. */
  ended(): void;
}

const HEAD_LIMIT = 64 * 1024;

/** Frames up to this size reach the library as one chunk. */
const MERGE_LIMIT = 16 * 1024;

function leaveMaskZero(): void {}

export class UpgradeSocket extends Duplex {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
  private head = Buffer.alloc(0);
  /** Chunks of the frame ws is writing between cork() and uncork(). */
  private corked: Buffer[] | undefined;
  private answered: HandshakeAnswer | undefined;
  private receiver: FrameReceiver | undefined;
  private readonly sender: FrameSender;
  /** The PAGI side's handling of the last decoded frame, while it is unsettled. */
  private pending: Promise<void> | undefined;
  /** Wakes the PAGI side once the library reads again (see `roomToRead`). */
  private wakeReader: (() => void) | undefined;

  constructor(private readonly events: UpgradeSocketEvents) {
    super({ allowHalfOpen: false });
    this.sender = new Sender(
      {
        write: (chunk, cb) => {
          let more = true;
          if (this.corked === undefined) more = this.push(chunk);
          else this.corked.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
          cb?.();
          return more;
        },
        // ws corks around a frame's header and payload: one push (one 'data' event, one parse in
        // the library's Receiver) per frame instead of two.
        cork: () => {
          this.corked ??= [];
        },
        uncork: () => {
          const chunks = this.corked;
          this.corked = undefined;
          if (chunks === undefined || chunks.length === 0) return;
          let bytes = 0;
          for (const chunk of chunks) bytes += chunk.length;
          // Large payloads go as they are: copying them to save one event is no gain.
          if (chunks.length === 1 || bytes > MERGE_LIMIT) for (const chunk of chunks) this.push(chunk);
          else this.push(Buffer.concat(chunks, bytes));
        },
      },
      undefined,
      // The all-zero masking key (RFC 6455 §5.3 asks only that a client's key be unpredictable to
      // intermediaries; there are none between us and the library): ws then skips masking and the
      // library's Receiver skips unmasking — no copy of the payload on either side.
      leaveMaskZero,
    );
    this.once('finish', () => this.events.ended());
    this.once('close', () => {
      this.wake();
      this.events.ended();
    });
  }

  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }

  /** A message from the PAGI client, framed into the library. */
  sendMessage(data: Uint8Array | string, binary: boolean): void {
    if (!this.destroyed) this.sender.send(data, { binary, fin: true, mask: true, compress: false });
  }

  /** The PAGI client closed: a Close frame, then EOF. */
  sendClose(code: number | undefined, reason: string): void {
    if (this.destroyed) return;
    this.sender.close(code === 1005 || code === 1006 ? undefined : code, reason, true, () => this.push(null));
  }

  /** The client left without a Close: the library sees the TCP connection go. */
  disconnect(): void {
    this.destroy();
  }

  /**
   * Resolves once the library has room for more of the PAGI client's frames: while it does not read
   * (ws pauses its socket when its own receiver is full), the PAGI side stops calling `receive()`, so
   * the server stops reading the client's TCP connection instead of queueing without bound here.
   */
  roomToRead(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => (this.wakeReader = resolve));
  }

  /** Whether a frame pushed now stays within the readable buffer (or nobody will ever read it). */
  hasRoom(): boolean {
    return this.destroyed || this.readableLength < this.readableHighWaterMark;
  }

  /** Whether the library is consuming what is pushed to it (not paused, buffer not full). */
  isReading(): boolean {
    return !this.isPaused() && this.readableLength < this.readableHighWaterMark;
  }

  override _read(): void {
    this.wake();
  }

  private wake(): void {
    const wake = this.wakeReader;
    this.wakeReader = undefined;
    wake?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // Hot path (one call per frame the library writes): decode synchronously and finish the write at
    // once unless a PAGI send is still in flight; no promise of its own per write.
    this.finishWrite(this.receiver ? this.decode(chunk) : this.consume(chunk), callback);
  }

  /** The library corked around a frame (ws: header, then payload): decode them all, finish once. */
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    if (!this.receiver) return this.finishWrite(this.consume(Buffer.concat(chunks.map((c) => c.chunk))), callback);
    for (const { chunk } of chunks) this.receiver.write(chunk);
    this.finishWrite(this.pending, callback);
  }

  private finishWrite(waiting: Promise<void> | undefined, callback: (error?: Error | null) => void): void {
    if (waiting === undefined) callback();
    else waiting.then(() => callback(), (err: Error) => callback(err));
  }

  /**
   * Decodes frames; the Receiver emits synchronously, so every message is handed to the PAGI side
   * before this returns. Holding the library's write until those sends settle is the backpressure.
   */
  private decode(chunk: Buffer): Promise<void> | undefined {
    (this.receiver as FrameReceiver).write(chunk);
    return this.pending;
  }

  /** The handshake answer, then a refusal's body (before any frame). */
  private async consume(chunk: Buffer): Promise<void> {
    if (this.answered === undefined) {
      this.head = Buffer.concat([this.head, chunk]);
      const end = this.head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (this.head.length > HEAD_LIMIT) throw new Error('handshake answer too large');
        return;
      }
      this.answered = parseAnswer(this.head.subarray(0, end).toString('latin1'));
      const rest = this.head.subarray(end + 4);
      this.head = Buffer.alloc(0);
      if (this.answered.status === 101) this.startFrames();
      await this.events.answer(this.answered);
      if (rest.length > 0) await (this.receiver ? this.decode(rest) : this.consume(rest));
      return;
    }
    await this.events.body(chunk);
  }

  private startFrames(): void {
    const receiver = new Receiver({ isServer: false, maxPayload: 0 });
    receiver.on('message', (data, isBinary) => this.queue(() => this.events.message(data, isBinary)));
    receiver.on('conclude', (code, reason) => this.queue(() => this.events.close(code, reason.toString('utf8'))));
    // Ping/pong stays between the library and us: the PAGI protocol has no ping events.
    receiver.on('ping', (data) => this.sender.pong(data, true));
    receiver.on('error', () => this.destroy());
    this.receiver = receiver;
  }

  /**
   * Runs the PAGI side's handling of one decoded frame after the ones before it. With nothing in
   * flight it runs at once (the PAGI server keeps overlapping sends in call order); `pending` is
   * the last one still unsettled, or undefined.
   */
  private queue(task: () => Promise<void>): void {
    let next: Promise<void>;
    if (this.pending === undefined) {
      try {
        next = task();
      } catch (err) {
        next = Promise.reject(err);
      }
      // The session took the frame at once (its shared RESOLVED): nothing to wait for, so the
      // library's write finishes synchronously, without a `.then` and a microtask per frame.
      if (next === RESOLVED) return;
    } else next = this.pending.then(task, task);
    this.pending = next;
    const settled = (): void => {
      if (this.pending === next) this.pending = undefined;
    };
    next.then(settled, settled);
  }
}

function parseAnswer(head: string): HandshakeAnswer {
  const lines = head.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!match) throw new Error(`not an HTTP answer: ${JSON.stringify(lines[0])}`);
  const headers: HeaderPair[] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return { status: Number(match[1]), headers };
}
