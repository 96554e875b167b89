/**
 * The buffering body readers: bytes, text, JSON and urlencoded forms, each
 * with a size limit and the 4xx a client's mistake deserves (413 too large,
 * 415 wrong type or charset, 400 malformed), thrown as `HttpError`.
 */
import {
  DEFAULT_BODY_LIMIT,
  assertBodyScope,
  bufferBody,
  checkLimit,
  type BodyReceive,
  type BodyScope,
} from './body-stream.js';
import type { Scope } from '../protocol/types.js';
import { HttpError } from './errors.js';
import { matchesMediaType, requestMediaType, type MediaType } from './media-type.js';

/** Options every body reader takes. */
export interface BodyOptions {
  /** Most bytes accepted; more is a 413. Default 100 KiB (102,400 bytes). `Infinity` turns it off. */
  limit?: number;
  /**
   * Media types accepted (`'application/json'`, `'text/*'`, `'application/*+json'`, `'*\/*'`);
   * another `content-type` is a 415. Each reader has its own default.
   */
  type?: string | readonly string[];
}

/**
 * The scope as the body readers take it: an app's `Scope` as it comes (an
 * `http` or `sse` one is read; any other type throws `UnsupportedScope`).
 */
export type BodyScopeInput = Scope;

/**
 * The whole body as a `Buffer` (any content type unless `type` says otherwise).
 * Works on `http` and `sse` scopes; a second call returns the same bytes.
 */
export async function readBytes(scope: BodyScopeInput, receive: BodyReceive, options: BodyOptions = {}): Promise<Buffer> {
  assertBodyScope(scope, 'readBytes');
  checkType(scope, options.type, ['*/*']);
  return bufferBody(scope, receive, checkLimit(options.limit, DEFAULT_BODY_LIMIT, 'readBytes'), 'readBytes');
}

/**
 * The body decoded as text in the `charset` of its `content-type` (default
 * UTF-8; labels as the WHATWG Encoding Standard names them, as browsers do).
 * An unknown charset is a 415. Any content type unless `type` says otherwise.
 */
export async function readText(scope: BodyScopeInput, receive: BodyReceive, options: BodyOptions = {}): Promise<string> {
  assertBodyScope(scope, 'readText');
  const media = checkType(scope, options.type, ['*/*']);
  const decoder = decoderFor(media?.charset ?? 'utf-8');
  const bytes = await bufferBody(scope, receive, checkLimit(options.limit, DEFAULT_BODY_LIMIT, 'readText'), 'readText');
  return decoder.decode(bytes);
}

/** Options of `readJson`. */
export interface JsonOptions extends BodyOptions {
  /** Passed to `JSON.parse`. */
  reviver?: (this: unknown, key: string, value: unknown) => unknown;
}

/**
 * The body parsed as JSON. Default `type`: `application/json` and
 * `application/*+json`. The charset must be UTF-8 (RFC 8259 §8.1), else 415;
 * an empty or malformed body is a 400 whose message says what is wrong.
 */
export async function readJson(scope: BodyScopeInput, receive: BodyReceive, options: JsonOptions = {}): Promise<unknown> {
  assertBodyScope(scope, 'readJson');
  const media = checkType(scope, options.type, ['application/json', 'application/*+json']);
  requireUtf8(media);
  const bytes = await bufferBody(scope, receive, checkLimit(options.limit, DEFAULT_BODY_LIMIT, 'readJson'), 'readJson');
  // Buffer's decoder is the fast one for a short body; like TextDecoder it replaces bad bytes, and the BOM goes.
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text, options.reviver);
  } catch (error) {
    if (text.trim() === '') throw new HttpError(400, 'request body is empty, expected JSON');
    throw new HttpError(400, `request body is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** Options of `readForm`. */
export interface FormOptions extends BodyOptions {
  /** Most `name=value` pairs accepted; more is a 413. Default 1,000, as body-parser. */
  parameterLimit?: number;
}

/**
 * The body parsed as `application/x-www-form-urlencoded` into
 * `URLSearchParams`. Default `type`: that media type; the charset must be
 * UTF-8 (what browsers send for UTF-8 pages), else 415.
 */
export async function readForm(scope: BodyScopeInput, receive: BodyReceive, options: FormOptions = {}): Promise<URLSearchParams> {
  assertBodyScope(scope, 'readForm');
  const media = checkType(scope, options.type, ['application/x-www-form-urlencoded']);
  requireUtf8(media);
  const parameterLimit = options.parameterLimit ?? 1000;
  const bytes = await bufferBody(scope, receive, checkLimit(options.limit, DEFAULT_BODY_LIMIT, 'readForm'), 'readForm');
  const text = bytes.toString('latin1'); // form bodies are ASCII; escapes carry the UTF-8
  let pairs = text === '' ? 0 : 1;
  for (let at = text.indexOf('&'); at >= 0 && pairs <= parameterLimit; at = text.indexOf('&', at + 1)) pairs += 1;
  if (pairs > parameterLimit) throw new HttpError(413, `too many form parameters (more than ${parameterLimit})`);
  return new URLSearchParams(utf8.decode(bytes));
}

const utf8 = new TextDecoder('utf-8');

/** Checks the request's media type against `given ?? defaults`; returns it parsed. */
export function checkType(scope: BodyScope, given: string | readonly string[] | undefined, defaults: readonly string[]): MediaType | undefined {
  const media = requestMediaType(scope.headers);
  const patterns = given === undefined ? defaults : typeof given === 'string' ? [given] : given;
  if (!matchesMediaType(media?.type, patterns)) {
    const got = media === undefined ? 'no content-type' : `'${media.type}'`;
    throw new HttpError(415, `unsupported media type: expected ${patterns.join(' or ')}, got ${got}`);
  }
  return media;
}

function requireUtf8(media: MediaType | undefined): void {
  const charset = media?.charset;
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HttpError(415, `unsupported charset "${charset}": expected utf-8`);
  }
}

function decoderFor(charset: string): { decode(bytes: Uint8Array): string } {
  try {
    return new TextDecoder(charset);
  } catch {
    throw new HttpError(415, `unsupported charset "${charset}"`);
  }
}
