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
import { ResponseParser, type HeaderList, type ParsedResponse } from './response-parser.js';

export type { Framing, HeaderList, InterimResponse, ParsedResponse } from './response-parser.js';

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


const CRLF = Buffer.from('\r\n');

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
