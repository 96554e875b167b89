/**
 * Access log in Common Log Format, one line per finished request:
 * `127.0.0.1 - - [26/Nov/2026:03:45:50 +0000] "GET /path?q HTTP/1.1" 200 1234`.
 */
import type { IncomingMessage } from 'node:http';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `status` 0 (nothing written) and an empty body (always for HEAD) print as `-`, as CLF does. */
export function accessLogLine(req: IncomingMessage, status: number, bodyBytes: number, now = new Date()): string {
  const host = req.socket?.remoteAddress ?? '-';
  const bytes = req.method === 'HEAD' ? 0 : bodyBytes;
  return `${host} - - [${clfDate(now)}] "${requestLine(req)}" ${status || '-'} ${bytes || '-'}`;
}

function requestLine(req: IncomingMessage): string {
  // The target is client-controlled text going into a log: keep it on one line and inside its quotes.
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
