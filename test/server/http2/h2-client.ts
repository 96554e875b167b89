/**
 * A `node:http2` client for the HTTP/2 server tests: one session per test,
 * requests with a deadline, the whole answer (status, headers, body,
 * trailers, the reset code) collected.
 */
import http2, { type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { within } from '../helpers.js';

export interface H2Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  trailers: IncomingHttpHeaders | undefined;
  /** The stream's RST_STREAM code (0 for a clean end). */
  rstCode: number | undefined;
}

/** Connects and waits for the server's SETTINGS (h2c when `url` is http:, ALPN h2 when https:). */
export async function connectH2(url: string, options: http2.SecureClientSessionOptions = {}): Promise<ClientHttp2Session> {
  const session = http2.connect(url, { rejectUnauthorized: false, ...options });
  session.on('error', () => {});
  await within(once(session, 'remoteSettings'), 5000, 'h2 connect');
  return session;
}

/** One request; resolves when the stream closed (cleanly or reset). */
export function h2request(
  session: ClientHttp2Session,
  headers: OutgoingHttpHeaders,
  body?: string | Buffer,
  ms = 5000,
): Promise<H2Answer> {
  return within(
    new Promise<H2Answer>((resolve) => {
      const req = session.request({ ':method': body === undefined ? 'GET' : 'POST', ...headers });
      const answer: H2Answer = { status: 0, headers: {}, body: '', trailers: undefined, rstCode: undefined };
      req.setEncoding('utf8');
      req.on('response', (h) => {
        answer.status = Number(h[':status']);
        answer.headers = h;
      });
      req.on('trailers', (t) => (answer.trailers = t));
      req.on('data', (d: string) => (answer.body += d));
      req.on('error', () => {});
      req.on('close', () => {
        answer.rstCode = req.rstCode;
        resolve(answer);
      });
      req.end(body);
    }),
    ms,
    `h2 ${String(headers[':path'])}`,
  );
}

/** Closes a client session and waits for it. */
export async function closeH2(session: ClientHttp2Session): Promise<void> {
  if (session.destroyed) return;
  const closed = once(session, 'close');
  session.close();
  await within(closed, 5000, 'h2 session close').catch(() => session.destroy());
}

export interface H2WebSocket {
  /** The answer's status (200 when accepted). */
  status: number;
  headers: IncomingHttpHeaders;
  /** The CONNECT stream itself (reset it to simulate a client vanishing). */
  stream: http2.ClientHttp2Stream;
  /** A client-side `ws` WebSocket over the stream, once accepted. */
  ws: WebSocket | undefined;
  /** The first message the server sent, collected from the start (it may come before a listener could be added). */
  first: Promise<Buffer>;
  /** The refusal's body, when not accepted (complete once the stream closed). */
  body: Promise<string>;
}

/**
 * RFC 8441 extended CONNECT with `:protocol: websocket`; on `:status 200`
 * the stream is handed to a client-side `ws` WebSocket (ws's own framing,
 * masked as a client must).
 */
export function h2websocket(session: ClientHttp2Session, path: string, headers: OutgoingHttpHeaders = {}): Promise<H2WebSocket> {
  const stream = session.request(
    { ':method': 'CONNECT', ':protocol': 'websocket', ':path': path, ':scheme': 'http', 'sec-websocket-version': '13', ...headers },
    { endStream: false },
  );
  stream.on('error', () => {});
  return within(
    new Promise<H2WebSocket>((resolve, reject) => {
      stream.once('close', () => reject(new Error(`stream closed before an answer (rst ${stream.rstCode})`)));
      stream.once('response', (h) => {
        const status = Number(h[':status']);
        if (status !== 200) {
          let text = '';
          stream.setEncoding('utf8');
          stream.on('data', (d: string) => (text += d));
          const body = new Promise<string>((done) => stream.once('close', () => done(text)));
          resolve({ status, headers: h, stream, ws: undefined, body, first: Promise.resolve(Buffer.alloc(0)) });
          return;
        }
        // A WebSocket built with a null address reads closeTimeout and autoPong from these options
        // and has no defaults for them: without closeTimeout its close timer is 1 ms, and it
        // destroys the stream before the server's Close frame can arrive (the client sees 1006).
        const adopted = { closeTimeout: 30_000, autoPong: true };
        const ws = new WebSocket(null as unknown as string, undefined, adopted) as WebSocket & ClientSide;
        ws._isServer = false;
        ws.setSocket(stream, Buffer.alloc(0), { maxPayload: 0, allowSynchronousEvents: true });
        ws.on('error', () => {});
        const first = new Promise<Buffer>((done) => ws.once('message', (data: Buffer) => done(data)));
        resolve({ status, headers: h, stream, ws, body: Promise.resolve(''), first });
      });
    }),
    5000,
    `h2 websocket ${path}`,
  );
}

interface ClientSide {
  _isServer: boolean;
  setSocket(socket: http2.ClientHttp2Stream, head: Buffer, options: object): void;
}
