/**
 * The header shapes Node's `ServerResponse` accepts, turned into PAGI pairs
 * exactly as Node would write them: lower-case names, numbers stringified,
 * one pair per array element (three `Set-Cookie` stay three).
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { HeaderPair } from '../protocol/types.js';

// writeHead hands `_storeHeader` either this private map (after setHeader
// calls) or the caller's own object/array; only the former holds
// `[originalName, value]` entries, so it must be recognised by identity.
const kOutHeaders = findOutHeadersSymbol();

function findOutHeadersSymbol(): symbol | undefined {
  const probe = new ServerResponse({ method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} } as IncomingMessage);
  return Object.getOwnPropertySymbols(probe).find((s) => s.description === 'kOutHeaders');
}

/**
 * The headers `_storeHeader` received, as PAGI pairs in Node's order: one
 * pair per array element. `names`, when given, receives each pair's name as
 * Node would write it (the caller's spelling), by index.
 */
export function headerPairs(res: ServerResponse, headers: unknown, names?: string[]): HeaderPair[] {
  const out: HeaderPair[] = [];
  if (headers === null || headers === undefined) return out;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const entry of headers as Array<[string, unknown]>) addPairs(out, names, entry[0], entry[1]);
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) addPairs(out, names, headers[i] as string, headers[i + 1]);
    }
  } else if (kOutHeaders !== undefined && headers === (res as unknown as Record<symbol, unknown>)[kOutHeaders]) {
    const map = headers as Record<string, [string, unknown]>;
    for (const key in map) {
      const entry = map[key] as [string, unknown];
      addPairs(out, names, entry[0], entry[1]);
    }
  } else {
    const map = headers as Record<string, unknown>;
    for (const key of Object.keys(map)) addPairs(out, names, key, map[key]);
  }
  return out;
}

function addPairs(out: HeaderPair[], names: string[] | undefined, name: string, value: unknown): void {
  const spelled = String(name);
  const lower = spelled.toLowerCase();
  const before = out.length;
  if (Array.isArray(value)) {
    // Node writes one line per element, except a multi-valued `cookie`.
    if (value.length < 2 || lower !== 'cookie') {
      for (const item of value) out.push([lower, String(item)]);
    } else {
      out.push([lower, value.join('; ')]);
    }
  } else {
    out.push([lower, String(value)]);
  }
  if (names !== undefined) for (let i = before; i < out.length; i++) names.push(spelled);
}

/** `addTrailers` input (object or array of pairs) as PAGI pairs, the way Node writes them. */
export function trailerPairs(headers: unknown): HeaderPair[] {
  const out: HeaderPair[] = [];
  if (headers === null || typeof headers !== 'object') return out;
  const entries: Array<[string, unknown]> = Array.isArray(headers)
    ? (headers as Array<[string, unknown]>).map((e) => [e[0], e[1]])
    : Object.entries(headers as Record<string, unknown>);
  for (const [name, value] of entries) {
    const lower = String(name).toLowerCase();
    if (Array.isArray(value) && value.length > 1) {
      for (const item of value) out.push([lower, String(item)]);
    } else {
      out.push([lower, Array.isArray(value) ? value.join('; ') : String(value)]);
    }
  }
  return out;
}
