/**
 * `sendFile`: a file as the protocol's `file` body (PROTOCOL.md §4.3), with
 * the validators and the conditional and range handling of `send` (what
 * `express.static` and `res.sendFile` run): `ETag`, `Last-Modified`,
 * `304`, `412`, `Range` → `206`/`416`, `If-Range`. HEAD is answered like GET;
 * the server sends no body and never opens the file (§4.5).
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import etag from 'etag';
import fresh from 'fresh';
import { contentType as mimeContentType } from 'mime-types';
import parseRange from 'range-parser';
import type { HTTPResponseBodyEvent, HTTPResponseStartEvent, HeaderPair } from '../protocol/types.js';
import { HttpError } from './errors.js';
import { header, type HeaderSource } from './request.js';
import { mergeHeaders, type ResponseHeaders, type ResponseSend } from './response.js';
import { sendSteps } from './send-steps.js';

/** Options of `sendFile`; the defaults are `send`'s. */
export interface SendFileOptions {
  /** Resolve `path` below this directory; a path that climbs out of it (`..`) is a 403. */
  root?: string;
  /** `cache-control: public, max-age=…` in milliseconds (as `express.static`). Default 0. */
  maxAge?: number;
  /** Add `immutable` to `cache-control`. Default false. */
  immutable?: boolean;
  /** Send `cache-control`. Default true. */
  cacheControl?: boolean;
  /** Send a weak `ETag` (from size and mtime). Default true. */
  etag?: boolean;
  /** Send `Last-Modified`. Default true. */
  lastModified?: boolean;
  /** Answer `Range` requests and send `accept-ranges: bytes`. Default true. */
  acceptRanges?: boolean;
  /** Files or directories whose name starts with `.`: `'ignore'` (404, default), `'deny'` (403), `'allow'`. */
  dotfiles?: 'allow' | 'deny' | 'ignore';
  /** `content-type` instead of the one looked up from the extension. */
  contentType?: string;
  /** Extra response headers (they replace the computed ones of the same name). */
  headers?: ResponseHeaders;
}

/**
 * The part of a scope `sendFile` reads: the conditional and range headers.
 * (HEAD needs nothing here: the server sends the head and never opens the file.)
 */
export type FileRequest = HeaderSource;

const UP_PATH = /(?:^|[\\/])\.\.(?:[\\/]|$)/;
const BYTES_RANGE = /^ *bytes=/;
const MAX_MAX_AGE = 365 * 24 * 60 * 60 * 1000;
const CONTENT_HEADERS = new Set(['content-encoding', 'content-language', 'content-length', 'content-range', 'content-type']);

/**
 * Sends the file at `path` (absolute, or relative to `options.root`).
 * Answers 200, 206 and 304 itself; throws an `HttpError` for 400 (NUL in
 * the path), 403 (`..`, denied dotfile), 404 (missing, a directory, an
 * ignored dotfile), 412 (failed `If-Match`/`If-Unmodified-Since`) and 416
 * (unsatisfiable range, with `content-range`), so the app or the router
 * decides how those look. Other file-system errors are rethrown.
 */
export function sendFile(send: ResponseSend, scope: FileRequest, path: string, options: SendFileOptions = {}): Promise<void> {
  let response: FileResponse | undefined;
  // The file is looked at first; the two sends then relay the server's promises (send-steps.ts).
  return sendSteps(
    [
      async () => {
        response = await fileResponse(scope, path, options);
      },
      () => send((response as FileResponse).start),
      () => send((response as FileResponse).body),
    ],
    'sendFile',
  );
}

interface FileResponse {
  start: HTTPResponseStartEvent;
  body: HTTPResponseBodyEvent;
}

/** The response `sendFile` sends for `path`, or the `HttpError` it throws. */
async function fileResponse(scope: FileRequest, path: string, options: SendFileOptions): Promise<FileResponse> {
  const file = resolveFile(path, options);
  const stats = await statFile(file);

  const headers: HeaderPair[] = [];
  if (options.acceptRanges !== false) headers.push(['accept-ranges', 'bytes']);
  if (options.cacheControl !== false) {
    const maxAge = Math.min(Math.max(0, Number(options.maxAge ?? 0) || 0), MAX_MAX_AGE);
    headers.push(['cache-control', `public, max-age=${Math.floor(maxAge / 1000)}${options.immutable ? ', immutable' : ''}`]);
  }
  if (options.lastModified !== false) headers.push(['last-modified', stats.mtime.toUTCString()]);
  if (options.etag !== false) headers.push(['etag', etag(stats)]);
  headers.push(['content-type', options.contentType ?? (mimeContentType(extname(file)) || 'application/octet-stream')]);
  const own = mergeHeaders(headers, options.headers, true);
  const ownValue = (name: string): string | undefined => own.find(([n]) => n === name)?.[1];

  if (isConditional(scope)) {
    if (preconditionFailed(scope, ownValue('etag'), ownValue('last-modified'))) throw new HttpError(412);
    const validators = { etag: ownValue('etag'), 'last-modified': ownValue('last-modified') };
    if (fresh(conditionalHeaders(scope), validators)) {
      return {
        start: { type: 'http.response.start', status: 304, headers: own.filter(([n]) => !CONTENT_HEADERS.has(n)) },
        body: { type: 'http.response.body' },
      };
    }
  }

  let status = 200;
  let offset = 0;
  let length = stats.size;
  const range = header(scope, 'range');
  if (options.acceptRanges !== false && range !== undefined && BYTES_RANGE.test(range)) {
    let ranges = parseRange(length, range, { combine: true });
    if (!rangeFresh(scope, ownValue('etag'), ownValue('last-modified'))) ranges = -2;
    if (ranges === -1) throw new HttpError(416, undefined, { headers: [['content-range', `bytes */${length}`]] });
    // Malformed (-2) or multiple ranges get the whole file, as `send` does.
    if (ranges !== -2 && ranges.length === 1) {
      const only = ranges[0] as parseRange.Range;
      status = 206;
      own.push(['content-range', `bytes ${only.start}-${only.end}/${length}`]);
      offset = only.start;
      length = only.end - only.start + 1;
    }
  }
  own.push(['content-length', String(length)]);
  return { start: { type: 'http.response.start', status, headers: own }, body: { type: 'http.response.body', file, offset, length } };
}

/** The absolute file path, after `send`'s checks on the requested path. */
function resolveFile(path: string, options: SendFileOptions): string {
  if (typeof path !== 'string') throw new TypeError('sendFile: path must be a string');
  if (path.includes('\0')) throw new HttpError(400, 'file path contains a NUL byte');
  let parts: string[];
  let file: string;
  if (options.root !== undefined) {
    const relative = path === '' ? '' : normalize(`.${sep}${path}`);
    if (UP_PATH.test(relative)) throw new HttpError(403, 'file path leaves the root directory');
    parts = relative.split(sep);
    file = normalize(join(resolve(options.root), relative));
  } else {
    if (!isAbsolute(path)) throw new TypeError('sendFile: path must be absolute, or give options.root');
    if (UP_PATH.test(path)) throw new HttpError(403, 'file path contains ".."');
    parts = normalize(path).split(sep);
    file = resolve(path);
  }
  if (parts.some((part) => part.length > 1 && part.startsWith('.'))) {
    const policy = options.dotfiles ?? 'ignore';
    if (policy === 'deny') throw new HttpError(403);
    if (policy === 'ignore') throw new HttpError(404);
  }
  if (path.endsWith('/') || path.endsWith(sep)) throw new HttpError(404);
  return file;
}

async function statFile(file: string): Promise<Stats> {
  let stats: Stats;
  try {
    stats = await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') throw new HttpError(404, undefined, { cause: error });
    throw error;
  }
  if (stats.isDirectory()) throw new HttpError(404);
  return stats;
}

function isConditional(scope: FileRequest): boolean {
  return ['if-match', 'if-unmodified-since', 'if-none-match', 'if-modified-since'].some((name) => header(scope, name));
}

function conditionalHeaders(scope: FileRequest): Record<string, string | undefined> {
  return {
    'if-none-match': header(scope, 'if-none-match'),
    'if-modified-since': header(scope, 'if-modified-since'),
    'cache-control': header(scope, 'cache-control'),
  };
}

/** `If-Match` / `If-Unmodified-Since` (RFC 9110 §13.1.1, §13.1.4), as `send` evaluates them. */
function preconditionFailed(scope: FileRequest, tag: string | undefined, modified: string | undefined): boolean {
  const match = header(scope, 'if-match');
  if (match) {
    if (!tag) return true;
    if (match === '*') return false;
    return tokenList(match).every((candidate) => candidate !== tag && candidate !== `W/${tag}` && `W/${candidate}` !== tag);
  }
  const unmodifiedSince = httpDate(header(scope, 'if-unmodified-since'));
  if (!Number.isNaN(unmodifiedSince)) {
    const lastModified = httpDate(modified);
    return Number.isNaN(lastModified) || lastModified > unmodifiedSince;
  }
  return false;
}

/** Whether a `Range` still applies under `If-Range` (RFC 9110 §13.1.5). */
function rangeFresh(scope: FileRequest, tag: string | undefined, modified: string | undefined): boolean {
  const ifRange = header(scope, 'if-range');
  if (!ifRange) return true;
  if (ifRange.includes('"')) return Boolean(tag && ifRange.includes(tag));
  return httpDate(modified) <= httpDate(ifRange);
}

function tokenList(value: string): string[] {
  return value
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
}

function httpDate(value: string | undefined): number {
  return value === undefined ? Number.NaN : Date.parse(value);
}
