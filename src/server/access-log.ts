/**
 * The access log, one line per finished request or WebSocket session, in one
 * of three formats:
 * - `common` (CLF): `127.0.0.1 - - [26/Nov/2026:03:45:50 +0000] "GET /path?q HTTP/1.1" 200 1234`
 * - `combined`: CLF plus `"referer" "user-agent"`
 * - `json`: `{"time","level","message","method","path","status","bytes","duration","client"}`
 */
import type { IncomingMessage } from 'node:http';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export type AccessLogFormat = 'common' | 'combined' | 'json';

/** One finished exchange, as the HTTP handler and the WebSocket sessions report it. */
export interface AccessRecord {
  req: IncomingMessage;
  /** 0 when nothing was written. */
  status: number;
  bodyBytes: number;
  /** The scope's client (after proxy headers); the socket's peer when absent. */
  client: readonly [string, number] | undefined;
  /** `performance.now()` when the request arrived. */
  startedAt: number;
}

export type AccessLog = (record: AccessRecord) => void;

/** An access log writing `format` lines to `write`. */
export function createAccessLog(format: AccessLogFormat, write: (line: string) => void): AccessLog {
  if (format === 'json') return (record) => write(jsonLine(record));
  if (format === 'combined') return (record) => write(combinedLine(record));
  return (record) => write(commonLine(record));
}

/** `status` 0 (nothing written) and an empty body (always for HEAD) print as `-`, as CLF does. */
export function commonLine(record: AccessRecord, now = new Date()): string {
  const { req, status } = record;
  const bytes = req.method === 'HEAD' ? 0 : record.bodyBytes;
  return `${clientHost(record)} - - [${clfDate(now)}] "${requestLine(req)}" ${status || '-'} ${bytes || '-'}`;
}

function combinedLine(record: AccessRecord): string {
  const header = (name: string) => quoted(headerValue(record.req, name) ?? '-');
  return `${commonLine(record)} "${header('referer')}" "${header('user-agent')}"`;
}

function jsonLine(record: AccessRecord): string {
  const { req } = record;
  return JSON.stringify({
    time: new Date().toISOString(),
    level: 'info',
    message: `${req.method ?? '-'} ${req.url ?? ''} ${record.status || '-'}`,
    method: req.method ?? null,
    path: req.url ?? null,
    status: record.status,
    bytes: req.method === 'HEAD' ? 0 : record.bodyBytes,
    duration: Math.round((performance.now() - record.startedAt) * 1000) / 1e6,
    client: clientHost(record),
  });
}

function clientHost(record: AccessRecord): string {
  return record.client?.[0] ?? record.req.socket?.remoteAddress ?? '-';
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function requestLine(req: IncomingMessage): string {
  return `${req.method ?? '-'} ${quoted(req.url ?? '')} HTTP/${req.httpVersion}`;
}

/** Client-controlled text going into a log: keep it on one line and inside its quotes. */
function quoted(text: string): string {
  return text.replace(/["\\\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** `10/Oct/2000:13:55:36 +0000` (always UTC). */
export function clfDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
