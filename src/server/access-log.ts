/**
 * Access log in Common Log Format, one line per finished request:
 * `host - - [26/Nov/2026:03:45:50 +0000] "GET /path?q HTTP/1.1" 200 1234`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Logs `req` once its response closes. The body size is counted at
 * `write()`/`end()` on this response instance: the adapter passes its head to
 * `writeHead` as an array, which `getHeader('content-length')` never sees.
 */
export function logWhenDone(req: IncomingMessage, res: ServerResponse, write: (line: string) => void): void {
  let bytes = 0;
  const originalWrite = res.write;
  const originalEnd = res.end;
  res.write = function countingWrite(this: ServerResponse, chunk: unknown, ...rest: unknown[]): boolean {
    bytes += byteLength(chunk);
    return (originalWrite as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse['write'];
  res.end = function countingEnd(this: ServerResponse, chunk?: unknown, ...rest: unknown[]): ServerResponse {
    if (typeof chunk !== 'function') bytes += byteLength(chunk);
    return (originalEnd as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
  } as ServerResponse['end'];
  res.once('close', () => {
    const status = res.headersSent ? String(res.statusCode) : '-';
    const size = bytes > 0 && req.method !== 'HEAD' ? String(bytes) : '-';
    write(`${req.socket.remoteAddress ?? '-'} - - [${clfDate(new Date())}] "${requestLine(req)}" ${status} ${size}`);
  });
}

function byteLength(chunk: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk);
  if (chunk instanceof Uint8Array) return chunk.length;
  return 0;
}

function requestLine(req: IncomingMessage): string {
  // The target is attacker-controlled text going into a log: keep it on one line and unquoted.
  const target = (req.url ?? '').replace(/["\\\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `${req.method ?? '-'} ${target} HTTP/${req.httpVersion}`;
}

/** `10/Oct/2000:13:55:36 +0000` (always UTC). */
export function clfDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
