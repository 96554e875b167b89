/**
 * A `node:http2` client for the HTTP/2 server tests: one session per test,
 * requests with a deadline, the whole answer (status, headers, body,
 * trailers, the reset code) collected.
 */
import http2, { type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { once } from 'node:events';
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
