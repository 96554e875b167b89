/**
 * A byte-level HTTP/1.x client for the differential suite.
 *
 * It writes an exact request over `node:net` (or `node:tls`), records every
 * read with its arrival time, and parses the response itself: status line,
 * headers in wire order, 1xx interim responses, and the body de-chunked by
 * hand, so that framing (chunked vs content-length vs close-delimited) and a
 * truncated body are visible instead of being smoothed over by a library.
 */
import net from 'node:net';
import tls from 'node:tls';

export type HeaderList = Array<[name: string, value: string]>;

export type Framing = 'chunked' | 'content-length' | 'close-delimited' | 'none';

/** How the exchange ended, seen from the client. */
export type EndKind =
  /** Every expected message was fully framed. */
  | 'complete'
  /** The server closed (or reset) the connection before the message was complete. */
  | 'truncated'
  /** The client gave up (see `abort`). */
  | 'client-aborted'
  /** Nothing complete arrived before the deadline. */
  | 'timeout';

export interface InterimResponse {
  status: number;
  headers: HeaderList;
}

export interface ParsedResponse {
  httpVersion: string;
  status: number;
  statusText: string;
  /** Header pairs in wire order, names as sent. */
  headers: HeaderList;
  framing: Framing;
  body: Buffer;
  trailers: HeaderList;
  complete: boolean;
  interim: InterimResponse[];
}

/** One socket read that carried body bytes: when it came and how much body there was after it. */
export interface Arrival {
  atMs: number;
  bodyBytes: number;
}

export interface RawExchange {
  responses: ParsedResponse[];
  end: EndKind;
  /** Body arrivals of the first response, in ms since the request was written. */
  arrivals: Arrival[];
  /** When the head of the first final response had fully arrived (ms since the request was written). */
  headAtMs: number | undefined;
  /** Whether the server closed the connection (observed within `observeCloseMs` after completion). */
  serverClosed: boolean;
  /** A socket error (e.g. ECONNRESET) if one occurred. */
  socketError: string | undefined;
  /** Every byte received, for debugging a failing comparison. */
  raw: Buffer;
}

export interface BodyPart {
  data: Buffer | string;
  /** Wait this long before writing the part. */
  delayMs?: number;
}

export interface RawRequestOptions {
  port: number;
  host?: string;
  tls?: boolean;
  /** The request head (request line + headers + blank line) or the whole request. */
  request: Buffer | string;
  /** Body bytes written after the head (after the interim 100 when `waitForContinue`). */
  body?: Buffer | string | BodyPart[];
  /** Wait for `HTTP/1.1 100 Continue` (or a final response) before writing `body`. */
  waitForContinue?: boolean;
  /** The request method(s) of the expected responses; HEAD responses carry no body. */
  methods?: string[];
  /** Stop the client side of the exchange early by destroying the socket. */
  abort?: { afterMs?: number; afterBodyBytes?: number; afterHead?: boolean };
  /** Slow reader: stop reading after the first response bytes for this long, then read on. */
  pauseReadingMs?: number;
  /** After the last expected response is complete, wait this long to see whether the server closes. */
  observeCloseMs?: number;
  /** Deadline for the whole exchange. */
  timeoutMs?: number;
}

const CRLF_CRLF = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

function parseHeaderLines(lines: string[]): HeaderList {
  const headers: HeaderList = [];
  for (const line of lines) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`malformed header line ${JSON.stringify(line)}`);
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return headers;
}

function headerValues(headers: HeaderList, name: string): string[] {
  return headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

/**
 * Incremental parser for a sequence of responses on one connection.
 * `feed` consumes what it can and keeps the rest for the next read.
 */
class ResponseParser {
  readonly responses: ParsedResponse[] = [];
  private buffer = Buffer.alloc(0);
  private current: ParsedResponse | undefined;
  private bodyChunks: Buffer[] = [];
  private remaining = 0;
  private chunkState: 'size' | 'data' | 'data-crlf' | 'trailers' = 'size';
  private pendingInterim: InterimResponse[] = [];

  constructor(private readonly methods: string[]) {}

  /** Decoded body bytes of the first response so far. */
  firstBodyLength(): number {
    const first = this.responses[0];
    if (first === undefined) return 0;
    if (first === this.current) return this.bodyChunks.reduce((n, c) => n + c.length, 0);
    return first.body.length;
  }

  headSeen(): boolean {
    return this.responses.length > 0;
  }

  completed(): number {
    return this.responses.filter((r) => r.complete).length;
  }

  interimCount(): number {
    return this.pendingInterim.length + this.responses.reduce((n, r) => n + r.interim.length, 0);
  }

  feed(data: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      if (this.current === undefined) {
        if (!this.parseHead()) return;
      } else if (!this.parseBody()) {
        return;
      }
    }
  }

  /** The connection ended: a close-delimited body is complete now, anything else is truncated. */
  finish(): void {
    const current = this.current;
    if (current === undefined) return;
    current.body = Buffer.concat(this.bodyChunks);
    if (current.framing === 'close-delimited') current.complete = true;
    this.current = undefined;
  }

  private parseHead(): boolean {
    const end = this.buffer.indexOf(CRLF_CRLF);
    if (end < 0) return false;
    const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    this.buffer = this.buffer.subarray(end + 4);
    const statusLine = lines.shift() ?? '';
    const match = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(statusLine);
    if (match === null) throw new Error(`malformed status line ${JSON.stringify(statusLine)}`);
    const status = Number(match[2]);
    const headers = parseHeaderLines(lines);
    if (status >= 100 && status < 200 && status !== 101) {
      this.pendingInterim.push({ status, headers });
      return true;
    }
    const method = this.methods[this.responses.length] ?? this.methods[this.methods.length - 1] ?? 'GET';
    const response: ParsedResponse = {
      httpVersion: match[1] ?? '',
      status,
      statusText: match[3] ?? '',
      headers,
      framing: 'none',
      body: Buffer.alloc(0),
      trailers: [],
      complete: false,
      interim: this.pendingInterim,
    };
    this.pendingInterim = [];
    this.responses.push(response);
    this.bodyChunks = [];
    const te = headerValues(headers, 'transfer-encoding').join(',').toLowerCase();
    const cl = headerValues(headers, 'content-length')[0];
    const bodiless = method === 'HEAD' || status === 204 || status === 304;
    if (te.includes('chunked')) {
      response.framing = 'chunked';
    } else if (cl !== undefined) {
      response.framing = 'content-length';
      this.remaining = Number(cl);
    } else if (!bodiless) {
      response.framing = 'close-delimited';
    }
    if (bodiless || (response.framing === 'content-length' && this.remaining === 0)) {
      response.complete = true;
      return true;
    }
    this.current = response;
    this.chunkState = 'size';
    return true;
  }

  private completeCurrent(): void {
    const current = this.current;
    if (current === undefined) return;
    current.body = Buffer.concat(this.bodyChunks);
    current.complete = true;
    this.current = undefined;
  }

  /** Returns true when it made progress and may be called again. */
  private parseBody(): boolean {
    const current = this.current;
    if (current === undefined) return false;
    if (current.framing === 'close-delimited') {
      if (this.buffer.length === 0) return false;
      this.bodyChunks.push(this.buffer);
      this.buffer = Buffer.alloc(0);
      return false;
    }
    if (current.framing === 'content-length') {
      if (this.buffer.length === 0) return false;
      const take = Math.min(this.remaining, this.buffer.length);
      this.bodyChunks.push(this.buffer.subarray(0, take));
      this.buffer = this.buffer.subarray(take);
      this.remaining -= take;
      if (this.remaining === 0) this.completeCurrent();
      return this.buffer.length > 0 || this.current === undefined;
    }
    return this.parseChunked(current);
  }

  private parseChunked(current: ParsedResponse): boolean {
    switch (this.chunkState) {
      case 'size': {
        const eol = this.buffer.indexOf(CRLF);
        if (eol < 0) return false;
        const sizeText = this.buffer.subarray(0, eol).toString('latin1').split(';')[0]?.trim() ?? '';
        if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new Error(`malformed chunk size ${JSON.stringify(sizeText)}`);
        this.buffer = this.buffer.subarray(eol + 2);
        this.remaining = parseInt(sizeText, 16);
        this.chunkState = this.remaining === 0 ? 'trailers' : 'data';
        return true;
      }
      case 'data': {
        if (this.buffer.length === 0) return false;
        const take = Math.min(this.remaining, this.buffer.length);
        this.bodyChunks.push(this.buffer.subarray(0, take));
        this.buffer = this.buffer.subarray(take);
        this.remaining -= take;
        if (this.remaining === 0) this.chunkState = 'data-crlf';
        return true;
      }
      case 'data-crlf': {
        if (this.buffer.length < 2) return false;
        if (!this.buffer.subarray(0, 2).equals(CRLF)) throw new Error('chunk not followed by CRLF');
        this.buffer = this.buffer.subarray(2);
        this.chunkState = 'size';
        return true;
      }
      case 'trailers': {
        // Trailer section: header lines up to an empty line.
        if (this.buffer.subarray(0, 2).equals(CRLF)) {
          this.buffer = this.buffer.subarray(2);
          this.completeCurrent();
          return true;
        }
        const end = this.buffer.indexOf(CRLF_CRLF);
        if (end < 0) return false;
        current.trailers = parseHeaderLines(this.buffer.subarray(0, end).toString('latin1').split('\r\n'));
        this.buffer = this.buffer.subarray(end + 4);
        this.completeCurrent();
        return true;
      }
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function connect(options: RawRequestOptions): net.Socket {
  const host = options.host ?? '127.0.0.1';
  if (options.tls === true) {
    return tls.connect({ port: options.port, host, rejectUnauthorized: false, servername: 'localhost' });
  }
  return net.connect({ port: options.port, host });
}

function bodyParts(body: RawRequestOptions['body']): BodyPart[] {
  if (body === undefined) return [];
  if (typeof body === 'string' || Buffer.isBuffer(body)) return [{ data: body }];
  return body;
}

/**
 * Performs one exchange (one or more pipelined requests written as `request`)
 * and resolves — never rejects — with what the client saw.
 */
export function rawExchange(options: RawRequestOptions): Promise<RawExchange> {
  const methods = options.methods ?? [/^(\S+)/.exec(options.request.toString())?.[1] ?? 'GET'];
  const expected = methods.length;
  const parser = new ResponseParser(methods);
  const socket = connect(options);
  const received: Buffer[] = [];
  const arrivals: Arrival[] = [];
  let startedAt = 0;
  let settled = false;
  let socketError: string | undefined;
  let serverClosed = false;
  let parseError: unknown;
  let headAtMs: number | undefined;

  return new Promise<RawExchange>((resolve) => {
    const timers: NodeJS.Timeout[] = [];
    let continueSeen: () => void = () => {};
    const continueReached = new Promise<void>((r) => {
      continueSeen = r;
    });

    const settle = (end: EndKind): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      socket.destroy();
      parser.finish();
      if (parseError !== undefined) socketError = `parse error: ${String(parseError)}`;
      resolve({
        responses: parser.responses,
        end,
        arrivals,
        headAtMs,
        serverClosed,
        socketError,
        raw: Buffer.concat(received),
      });
    };

    const onComplete = (): void => {
      const observe = options.observeCloseMs ?? 0;
      if (observe === 0) {
        settle('complete');
        return;
      }
      timers.push(setTimeout(() => settle('complete'), observe));
    };

    socket.on('data', (data: Buffer) => {
      if (settled) return;
      received.push(data);
      const before = parser.firstBodyLength();
      try {
        parser.feed(data);
      } catch (error) {
        parseError = error;
        settle('truncated');
        return;
      }
      if (parser.interimCount() > 0 || parser.headSeen()) continueSeen();
      if (headAtMs === undefined && parser.headSeen()) headAtMs = performance.now() - startedAt;
      const after = parser.firstBodyLength();
      if (after > before) arrivals.push({ atMs: performance.now() - startedAt, bodyBytes: after });
      const abort = options.abort;
      if (abort?.afterHead === true && parser.headSeen()) return settle('client-aborted');
      if (abort?.afterBodyBytes !== undefined && after >= abort.afterBodyBytes) return settle('client-aborted');
      if (options.pauseReadingMs !== undefined && received.length === 1) {
        socket.pause();
        timers.push(setTimeout(() => socket.resume(), options.pauseReadingMs));
      }
      if (parser.completed() >= expected) onComplete();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      socketError = error.code ?? error.message;
    });
    socket.on('close', () => {
      serverClosed = true;
      if (settled) return;
      parser.finish();
      settle(parser.completed() >= expected ? 'complete' : 'truncated');
    });

    timers.push(setTimeout(() => settle('timeout'), options.timeoutMs ?? 5000));
    if (options.abort?.afterMs !== undefined) {
      timers.push(setTimeout(() => settle('client-aborted'), options.abort.afterMs));
    }

    socket.once(options.tls === true ? 'secureConnect' : 'connect', () => {
      void (async () => {
        startedAt = performance.now();
        socket.write(options.request);
        if (options.waitForContinue === true) await continueReached;
        for (const part of bodyParts(options.body)) {
          if (part.delayMs !== undefined) await delay(part.delayMs);
          if (settled || socket.destroyed) return;
          socket.write(part.data);
        }
      })();
    });
  });
}

export interface RequestSpec {
  method?: string;
  path?: string;
  headers?: HeaderList;
  /** Body written with a content-length (unless `chunked`). */
  body?: Buffer | string;
  /** Send the body with `transfer-encoding: chunked` in these pieces. */
  chunks?: Array<Buffer | string>;
  httpVersion?: '1.0' | '1.1';
}

/** Serialises a request exactly; adds `host`, and `content-length` or chunk framing for a body. */
export function buildRequest(spec: RequestSpec): Buffer {
  const method = spec.method ?? 'GET';
  const headers: HeaderList = [...(spec.headers ?? [])];
  const has = (name: string): boolean => headers.some(([n]) => n.toLowerCase() === name);
  if (!has('host')) headers.unshift(['Host', 'localhost']);
  let body = Buffer.alloc(0);
  if (spec.chunks !== undefined) {
    if (!has('transfer-encoding')) headers.push(['Transfer-Encoding', 'chunked']);
    body = Buffer.concat([...spec.chunks.map((c) => encodeChunk(c)), Buffer.from('0\r\n\r\n')]);
  } else if (spec.body !== undefined) {
    body = Buffer.from(spec.body);
    if (!has('content-length')) headers.push(['Content-Length', String(body.length)]);
  }
  const head = `${method} ${spec.path ?? '/'} HTTP/${spec.httpVersion ?? '1.1'}\r\n${headers
    .map(([n, v]) => `${n}: ${v}\r\n`)
    .join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** One chunk in chunked transfer coding. */
export function encodeChunk(data: Buffer | string): Buffer {
  const bytes = Buffer.from(data);
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, CRLF]);
}
