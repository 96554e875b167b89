/**
 * What happens when a bare Router or middleware calls its final `next()`:
 * the same answer `finalhandler` (the package Express and Connect use) would
 * give — a 404 `Cannot GET /path` page, or the error's status (default 500)
 * with its stack outside production — so a bridged Router looks like the same
 * Router mounted in an Express app. Express and Connect *applications* are
 * never given this `next`: they run their own finalhandler.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import onFinished from 'on-finished';

export interface FinalResponseOptions {
  /** Like finalhandler's `env`: anything but `'production'` shows error stacks. */
  env: string;
  /** Called with every error passed to the final `next(err)`, after the response was chosen. */
  onError: ((error: unknown, req: IncomingMessage, res: ServerResponse) => void) | undefined;
}

/** Answers the request the way finalhandler does for `err` (or 404 when there is none). */
export function finalResponse(req: IncomingMessage, res: ServerResponse, err: unknown, options: FinalResponseOptions): void {
  if (!err && res.headersSent) return;
  let status: number;
  let headers: Record<string, unknown> | undefined;
  let message: string;
  if (err) {
    const fromError = errorStatus(err);
    if (fromError === undefined) {
      status = res.statusCode >= 400 && res.statusCode <= 599 ? res.statusCode : 500;
    } else {
      status = fromError;
      headers = errorHeaders(err);
    }
    message = errorMessage(err, status, options.env);
    if (options.onError) setImmediate(options.onError, err, req, res);
  } else {
    status = 404;
    message = `Cannot ${req.method ?? 'GET'} ${encodeUrl(resourceName(req))}`;
  }
  if (res.headersSent) {
    // Too late for a status: cut the response so the truncation is visible.
    req.socket.destroy();
    return;
  }
  const write = (): void => writeDocument(req, res, status, headers, message);
  if (onFinished.isFinished(req)) {
    write();
    return;
  }
  // Drain the unread body first, as finalhandler does, so the client is not
  // answered while it is still uploading.
  req.unpipe();
  onFinished(req, write);
  req.resume();
}

function writeDocument(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: Record<string, unknown> | undefined,
  message: string,
): void {
  const body = htmlDocument(message);
  res.statusCode = status;
  if (req.httpVersionMajor < 2) res.statusMessage = STATUS_CODES[status] ?? String(status);
  res.removeHeader('Content-Encoding');
  res.removeHeader('Content-Language');
  res.removeHeader('Content-Range');
  for (const [key, value] of Object.entries(headers ?? {})) res.setHeader(key, value as string);
  res.setHeader('Content-Security-Policy', "default-src 'none'");
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body, 'utf8'));
  if (req.method === 'HEAD') res.end();
  else res.end(body, 'utf8');
}

function errorStatus(err: unknown): number | undefined {
  const e = err as { status?: unknown; statusCode?: unknown };
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 600) return e.status;
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 600) return e.statusCode;
  return undefined;
}

function errorHeaders(err: unknown): Record<string, unknown> | undefined {
  const headers = (err as { headers?: unknown }).headers;
  return headers && typeof headers === 'object' ? { ...(headers as Record<string, unknown>) } : undefined;
}

function errorMessage(err: unknown, status: number, env: string): string {
  let message: string | undefined;
  if (env !== 'production') {
    const e = err as { stack?: unknown; toString?: () => string };
    message = typeof e.stack === 'string' ? e.stack : undefined;
    if (!message && typeof e.toString === 'function') message = e.toString();
  }
  return message || (STATUS_CODES[status] ?? String(status));
}

/** The pathname of `req.originalUrl` (what finalhandler names in its 404). */
function resourceName(req: IncomingMessage): string {
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

const ESCAPES: Record<string, string> = { '"': '&quot;', '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;' };

function escapeHtml(text: string): string {
  return text.replace(/["&'<>]/g, (c) => ESCAPES[c] as string);
}

function htmlDocument(message: string): string {
  const body = escapeHtml(message).replaceAll('\n', '<br>').replaceAll('  ', ' &nbsp;');
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n' +
    `<pre>${body}</pre>\n</body>\n</html>\n`
  );
}

/**
 * Percent-encodes what may not appear in a URL while leaving valid `%XX`
 * escapes alone (the `encodeurl` rule finalhandler applies to the path).
 */
function encodeUrl(url: string): string {
  return url
    .replace(/([\uD800-\uDBFF][\uDC00-\uDFFF])|[\uD800-\uDFFF]/g, (_lone: string, pair?: string) => pair ?? '\uFFFD')
    .replace(/(?:[^\x21\x23-\x3B\x3D\x3F-\x5F\x61-\x7A\x7C\x7E]|%(?![0-9A-Fa-f]{2}))+/g, (s) => encodeURI(s));
}
