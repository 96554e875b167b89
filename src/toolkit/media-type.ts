/**
 * The request's `content-type`, parsed just enough for the body readers: the
 * media type and its `charset` parameter (RFC 9110 §8.3.1).
 */
import { foldedHeader } from '../protocol/headers.js';
import type { HeaderPair } from '../protocol/types.js';

/** A parsed `content-type`: lower-case `type/subtype` and the lower-case `charset`, if any. */
export interface MediaType {
  type: string;
  charset: string | undefined;
}

/**
 * Parses the request's `content-type` (the first one, as Node keeps it).
 * `undefined` when the header is absent or empty.
 */
export function requestMediaType(headers: readonly HeaderPair[]): MediaType | undefined {
  const value = foldedHeader(headers, 'content-type');
  if (value === undefined) return undefined;
  if (!value.includes(';')) {
    const type = value.trim().toLowerCase();
    return type === '' ? undefined : { type, charset: undefined };
  }
  const [essence = '', ...params] = value.split(';');
  const type = essence.trim().toLowerCase();
  if (type === '') return undefined;
  let charset: string | undefined;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    let raw = param.slice(eq + 1).trim();
    if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) raw = raw.slice(1, -1).replace(/\\(.)/g, '$1');
    charset = raw.toLowerCase();
    break;
  }
  return { type, charset };
}

/**
 * Whether `type` (a parsed media type, or `undefined` when the request has
 * none) is one of `patterns`: exact (`application/json`), a subtype wildcard
 * (`text/*`), a suffix (`application/*+json`, `*\/*+json`) or anything
 * (`*\/*`, which also accepts a request without a `content-type`).
 */
export function matchesMediaType(type: string | undefined, patterns: readonly string[]): boolean {
  for (const pattern of patterns) {
    if (pattern === '*/*') return true;
    if (type === undefined) continue;
    if (pattern === type) return true;
    const [ptype, psub = ''] = pattern.split('/');
    const [ttype, tsub = ''] = type.split('/');
    if (ptype !== '*' && ptype !== ttype) continue;
    if (psub === '*') return true;
    if (psub.startsWith('*+') && tsub.endsWith(psub.slice(1))) return true;
  }
  return false;
}
