/**
 * Raw TCP clients for byte-level checks (chunked framing, HEAD, trailers,
 * aborts, 100-continue). Every wait has a deadline.
 */
import net from 'node:net';

/** A connected socket that accumulates everything it receives. */
export class RawClient {
  readonly socket: net.Socket;
  private chunks: Buffer[] = [];
  private waiters: Array<() => void> = [];
  closed = false;
  error: Error | undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', (error) => {
      this.error = error;
    });
  }

  /** Connects to 127.0.0.1:`port`. */
  static connect(port: number, timeoutMs = 5000): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('RawClient.connect: timed out'));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RawClient(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  write(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (error) => (error ? reject(error) : resolve())));
  }

  /** Everything received so far. */
  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Everything received so far, as latin1 text. */
  get text(): string {
    return this.received.toString('latin1');
  }

  /** Resolves once `predicate(text)` holds; rejects after `timeoutMs` or if the socket closed first. */
  async waitFor(predicate: (text: string) => boolean, timeoutMs = 5000, what = 'data'): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.text;
      if (predicate(text)) return text;
      if (this.closed) throw new Error(`RawClient.waitFor(${what}): socket closed; got ${JSON.stringify(text.slice(0, 500))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`RawClient.waitFor(${what}): timed out; got ${JSON.stringify(text.slice(0, 500))}`);
      await this.nextEvent(left);
    }
  }

  /** Resolves once the peer closed the connection; rejects after `timeoutMs`. */
  async waitClosed(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`RawClient.waitClosed: still open; got ${JSON.stringify(this.text.slice(0, 500))}`);
      await this.nextEvent(left);
    }
    return this.text;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private nextEvent(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Sends `request` on a fresh connection and returns everything until the server closes it. */
export async function rawExchange(port: number, request: string | Uint8Array, timeoutMs = 5000): Promise<string> {
  const client = await RawClient.connect(port, timeoutMs);
  try {
    await client.write(request);
    return await client.waitClosed(timeoutMs);
  } finally {
    client.destroy();
  }
}

/** Parsed head of a raw HTTP/1.x response. */
export interface RawHead {
  status: number;
  headers: Array<[string, string]>;
  /** Bytes after the blank line. */
  rest: string;
}

/** Splits the first response in `text` into status, headers (lower-cased names) and the rest. */
export function parseHead(text: string): RawHead {
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no complete head in ${JSON.stringify(text.slice(0, 300))}`);
  const lines = text.slice(0, end).split('\r\n');
  const status = Number((lines[0] as string).split(' ')[1]);
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    headers.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return { status, headers, rest: text.slice(end + 4) };
}

/** Decodes a complete chunked body; returns the payload and the raw trailer section, or throws if unterminated. */
export function decodeChunked(text: string): { body: string; trailers: string; complete: boolean } {
  let pos = 0;
  let body = '';
  for (;;) {
    const lineEnd = text.indexOf('\r\n', pos);
    if (lineEnd === -1) return { body, trailers: '', complete: false };
    const size = parseInt(text.slice(pos, lineEnd), 16);
    if (Number.isNaN(size)) throw new Error(`bad chunk size at ${pos}: ${JSON.stringify(text.slice(pos, pos + 20))}`);
    pos = lineEnd + 2;
    if (size === 0) {
      const end = text.indexOf('\r\n\r\n', pos - 2);
      if (end === -1) return { body, trailers: '', complete: false };
      return { body, trailers: text.slice(pos, end + 2), complete: true };
    }
    if (text.length < pos + size + 2) return { body: body + text.slice(pos), trailers: '', complete: false };
    body += text.slice(pos, pos + size);
    pos += size + 2;
  }
}
