/**
 * The comparator: what "indistinguishable on the wire" means for this suite.
 *
 * Two exchanges are the same when their end kind, interim responses, status,
 * framing, header multiset (names case-insensitive, `date` ignored, order of
 * different names ignored, order of repeated values kept), body bytes and
 * trailers agree. Everything is reported as a list of human-readable
 * differences so a failing scenario says what differed, not just that it did.
 */
import { createHash } from 'node:crypto';
import type { HeaderList, ParsedResponse, RawExchange } from './raw-client.js';

export interface CompareOptions {
  /** Header names (lower-case) to leave out of the comparison, in addition to `date`. */
  ignoreHeaders?: string[];
  /** Rewrite values of a header (lower-case name) before comparing, e.g. to mask a session id. */
  normalizeHeader?: Record<string, (value: string) => string>;
  /** Rewrite the body before comparing, e.g. to mask a timestamp. */
  normalizeBody?: (body: Buffer) => Buffer | string;
  /** Compare the reason phrase too (carried by the `reason_phrase` extension; off by default, as few scenarios set one). */
  compareStatusText?: boolean;
  /** Compare whether the server closed the connection (needs `observeCloseMs` on the request). */
  compareServerClose?: boolean;
}

const ALWAYS_IGNORED = ['date'];
const HASH_ABOVE = 512;

/** Header pairs grouped by lower-case name, values in wire order. */
export function headerMap(headers: HeaderList, options: CompareOptions = {}): Map<string, string[]> {
  const ignored = new Set([...ALWAYS_IGNORED, ...(options.ignoreHeaders ?? [])]);
  const map = new Map<string, string[]>();
  for (const [rawName, rawValue] of headers) {
    const name = rawName.toLowerCase();
    if (ignored.has(name)) continue;
    const normalize = options.normalizeHeader?.[name];
    const value = normalize === undefined ? rawValue : normalize(rawValue);
    const values = map.get(name) ?? [];
    values.push(value);
    map.set(name, values);
  }
  return map;
}

function describeBody(body: Buffer): string {
  if (body.length > HASH_ABOVE) {
    return `${body.length} bytes sha256=${createHash('sha256').update(body).digest('hex').slice(0, 16)}`;
  }
  return JSON.stringify(body.toString('latin1'));
}

/** Where two bodies first differ, with a little context, so a large mismatch is readable. */
function firstDifference(a: Buffer, b: Buffer): string {
  let at = 0;
  while (at < a.length && at < b.length && a[at] === b[at]) at += 1;
  const from = Math.max(0, at - 40);
  const show = (x: Buffer): string => JSON.stringify(x.subarray(from, at + 60).toString('latin1'));
  return ` (first difference at byte ${at}: native ${show(a)} vs bridged ${show(b)})`;
}

function bodyOf(response: ParsedResponse, options: CompareOptions): Buffer {
  if (options.normalizeBody === undefined) return response.body;
  return Buffer.from(options.normalizeBody(response.body));
}

function diffHeaders(label: string, a: HeaderList, b: HeaderList, options: CompareOptions, out: string[]): void {
  const left = headerMap(a, options);
  const right = headerMap(b, options);
  const names = [...new Set([...left.keys(), ...right.keys()])].sort();
  for (const name of names) {
    const l = left.get(name);
    const r = right.get(name);
    if (JSON.stringify(l) !== JSON.stringify(r)) {
      out.push(`${label} ${name}: native ${JSON.stringify(l)} vs bridged ${JSON.stringify(r)}`);
    }
  }
}

/** Lists every difference between two parsed responses. */
export function diffResponse(
  native: ParsedResponse,
  bridged: ParsedResponse,
  options: CompareOptions = {},
  prefix = '',
): string[] {
  const out: string[] = [];
  const field = (name: string, a: unknown, b: unknown): void => {
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      out.push(`${prefix}${name}: native ${JSON.stringify(a)} vs bridged ${JSON.stringify(b)}`);
    }
  };
  field('interim statuses', native.interim.map((i) => i.status), bridged.interim.map((i) => i.status));
  field('http version', native.httpVersion, bridged.httpVersion);
  field('status', native.status, bridged.status);
  if (options.compareStatusText === true) field('status text', native.statusText, bridged.statusText);
  field('framing', native.framing, bridged.framing);
  field('complete', native.complete, bridged.complete);
  diffHeaders(`${prefix}header`, native.headers, bridged.headers, options, out);
  const a = bodyOf(native, options);
  const b = bodyOf(bridged, options);
  if (!a.equals(b)) out.push(`${prefix}body: native ${describeBody(a)} vs bridged ${describeBody(b)}${firstDifference(a, b)}`);
  diffHeaders(`${prefix}trailer`, native.trailers, bridged.trailers, options, out);
  return out;
}

/** Lists every difference between two whole exchanges (all responses on the connection). */
export function diffExchange(native: RawExchange, bridged: RawExchange, options: CompareOptions = {}): string[] {
  const out: string[] = [];
  if (native.end !== bridged.end) out.push(`end: native ${native.end} vs bridged ${bridged.end}`);
  if (native.responses.length !== bridged.responses.length) {
    out.push(`response count: native ${native.responses.length} vs bridged ${bridged.responses.length}`);
  }
  const count = Math.min(native.responses.length, bridged.responses.length);
  for (let i = 0; i < count; i += 1) {
    const a = native.responses[i];
    const b = bridged.responses[i];
    if (a === undefined || b === undefined) continue;
    out.push(...diffResponse(a, b, options, count > 1 ? `#${i} ` : ''));
  }
  if (options.compareServerClose === true && native.serverClosed !== bridged.serverClosed) {
    out.push(`server closed: native ${native.serverClosed} vs bridged ${bridged.serverClosed}`);
  }
  return out;
}

/** A compact summary of an exchange for failure messages. */
export function summarize(exchange: RawExchange): string {
  const first = exchange.responses[0];
  if (first === undefined) return `end=${exchange.end} no response; raw=${JSON.stringify(exchange.raw.toString('latin1').slice(0, 300))}`;
  return `end=${exchange.end} status=${first.status} framing=${first.framing} headers=${JSON.stringify(first.headers)} body=${describeBody(first.body)}`;
}
