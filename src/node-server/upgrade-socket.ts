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
  Sender: new (socket: { write(chunk: Buffer, cb?: () => void): boolean; cork(): void; uncork(): void }) => FrameSender;
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

export class UpgradeSocket extends Duplex {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
  private head = Buffer.alloc(0);
  private answered: HandshakeAnswer | undefined;
  private receiver: FrameReceiver | undefined;
  private readonly sender: FrameSender;
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly events: UpgradeSocketEvents) {
    super({ allowHalfOpen: false });
    this.sender = new Sender({
      write: (chunk, cb) => {
        const more = this.push(chunk);
        cb?.();
        return more;
      },
      cork() {},
      uncork() {},
    });
    this.once('finish', () => this.events.ended());
    this.once('close', () => this.events.ended());
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

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending = this.consume(chunk);
    this.pending.then(() => callback(), (err: Error) => callback(err));
  }

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
      if (rest.length > 0) await this.consume(rest);
      return;
    }
    if (this.receiver) {
      // The Receiver decodes synchronously; holding the write until the PAGI sends settle is the backpressure.
      this.receiver.write(chunk);
      await this.pending;
      return;
    }
    await this.events.body(chunk);
  }

  private startFrames(): void {
    const receiver = new Receiver({ isServer: false, maxPayload: 0 });
    receiver.on('message', (data, isBinary) => void this.queue(() => this.events.message(data, isBinary)));
    receiver.on('conclude', (code, reason) => void this.queue(() => this.events.close(code, reason.toString('utf8'))));
    // Ping/pong stays between the library and us: the PAGI protocol has no ping events.
    receiver.on('ping', (data) => this.sender.pong(data, true));
    receiver.on('error', () => this.destroy());
    this.receiver = receiver;
  }

  private queue(task: () => Promise<void>): Promise<void> {
    this.pending = this.pending.then(task, task);
    return this.pending;
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
