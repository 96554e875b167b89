/**
 * What `shadow` compares between the primary's and the candidate's answers:
 * status, headers and body (PROTOCOL.md §11: an observer, never an actor).
 * Pure functions over two finished `ObservedResponse`s.
 *
 * Rules that keep the comparison from inventing differences:
 * - Framing belongs to the server (§3.2): `content-length`,
 *   `transfer-encoding`, `connection` and `keep-alive` are never compared; the
 *   body comparison covers what they frame.
 * - `set-cookie` is compared without cookie values and without `Expires`
 *   (session ids and clocks differ on every request), unless asked.
 * - JSON bodies (the primary's `content-type` is JSON) whose bytes differ are
 *   parsed and compared structurally: key order and number spelling do not
 *   count, `ignorePaths` (JSON Pointers, `*` for any key or index) are left out.
 * - HEAD answers carry no body on the wire, so bodies are not compared.
 */
import type { HeaderPair } from '../protocol/types.js';
import type { ObservedResponse } from './shadow-observer.js';

/** One thing that differed between the primary's and the candidate's answers. */
export type ShadowMismatch =
  | { kind: 'status'; primary: number; candidate: number }
  | {
      kind: 'header';
      /** Lower-case header name (`trailer:<name>` for a trailer). */
      name: string;
      /** The primary's values in order; `[]` when it sent none. */
      primary: string[];
      candidate: string[];
    }
  | {
      kind: 'body';
      /** `'json'`: parsed and compared structurally; `'bytes'`: the SHA-256 digests of the bytes. */
      compared: 'json' | 'bytes';
      /** JSON Pointers of the differing values (at most 20), for `compared: 'json'`. */
      paths?: string[];
      /** Why a JSON body was compared as bytes (too large, not parseable). */
      note?: string;
    };

export interface CompareRules {
  /** Lower-case names whose presence and values are not compared. */
  ignoreHeaders: ReadonlySet<string>;
  /** Compare `set-cookie` values and `Expires` too. */
  compareCookieValues: boolean;
  /** Parsed JSON Pointer patterns (`[]` segments), `'*'` matching any one segment. */
  ignorePaths: readonly (readonly string[])[];
  /** Whether bodies count (false for HEAD). */
  compareBody: boolean;
}

const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);
const MAX_PATHS = 20;

/** Every difference between two complete answers; `[]` when they match. */
export function compareResponses(primary: ObservedResponse, candidate: ObservedResponse, rules: CompareRules): ShadowMismatch[] {
  const out: ShadowMismatch[] = [];
  if (primary.status !== candidate.status) out.push({ kind: 'status', primary: primary.status, candidate: candidate.status });
  compareHeaderLists(primary.headers, candidate.headers, rules, '', out);
  compareHeaderLists(primary.trailers, candidate.trailers, rules, 'trailer:', out);
  if (rules.compareBody) {
    const body = compareBodies(primary, candidate, rules);
    if (body !== undefined) out.push(body);
  }
  return out;
}

function compareHeaderLists(
  primary: readonly HeaderPair[],
  candidate: readonly HeaderPair[],
  rules: CompareRules,
  prefix: string,
  out: ShadowMismatch[],
): void {
  const a = groupHeaders(primary, rules);
  const b = groupHeaders(candidate, rules);
  for (const name of new Set([...a.keys(), ...b.keys()])) {
    const left = a.get(name) ?? [];
    const right = b.get(name) ?? [];
    if (left.length !== right.length || left.some((value, i) => value !== right[i])) {
      out.push({ kind: 'header', name: prefix + name, primary: left, candidate: right });
    }
  }
}

/** Name → values in wire order, without the names that are not compared. */
function groupHeaders(headers: readonly HeaderPair[], rules: CompareRules): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const [rawName, value] of headers) {
    const name = rawName.toLowerCase();
    if (FRAMING.has(name) || rules.ignoreHeaders.has(name)) continue;
    const compared = name === 'set-cookie' && !rules.compareCookieValues ? cookieShape(value) : value;
    const list = groups.get(name);
    if (list === undefined) groups.set(name, [compared]);
    else list.push(compared);
  }
  return groups;
}

/**
 * `sid=abc123; Path=/; Expires=Wed, 01 Jan 2031 10:00:00 GMT; HttpOnly` →
 * `sid=…; Path=/; HttpOnly`: the cookie's name and attributes without the
 * parts that differ on every response.
 */
export function cookieShape(setCookie: string): string {
  const [pair = '', ...attributes] = setCookie.split(';');
  const eq = pair.indexOf('=');
  const name = (eq === -1 ? pair : pair.slice(0, eq)).trim();
  const kept = attributes.map((a) => a.trim()).filter((a) => a !== '' && !/^expires\s*=/i.test(a));
  return [`${name}=…`, ...kept].join('; ');
}

function compareBodies(primary: ObservedResponse, candidate: ObservedResponse, rules: CompareRules): ShadowMismatch | undefined {
  if (primary.digest === candidate.digest) return undefined;
  if (!primary.json || !candidate.json) return { kind: 'body', compared: 'bytes' };
  const left = parseJson(primary);
  const right = parseJson(candidate);
  if (typeof left === 'string' || typeof right === 'string') {
    return { kind: 'body', compared: 'bytes', note: typeof left === 'string' ? `primary ${left}` : `candidate ${right as string}` };
  }
  const paths: string[] = [];
  diffJson(left.value, right.value, [], rules.ignorePaths, paths);
  return paths.length === 0 ? undefined : { kind: 'body', compared: 'json', paths };
}

/** The parsed body, or why it could not be parsed. */
function parseJson(response: ObservedResponse): { value: unknown } | string {
  const text = response.jsonText();
  if (text === undefined) return 'body is larger than jsonLimit';
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return 'body is not valid JSON';
  }
}

/** Collects the JSON Pointers at which `a` and `b` differ, outside the ignored paths. */
function diffJson(a: unknown, b: unknown, at: string[], ignore: CompareRules['ignorePaths'], out: string[]): void {
  if (out.length >= MAX_PATHS || isIgnored(at, ignore)) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) diffJson(a[i], b[i], [...at, String(i)], ignore, out);
    return;
  }
  if (isRecord(a) && isRecord(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const inA = Object.hasOwn(a, key);
      const inB = Object.hasOwn(b, key);
      if (inA !== inB) {
        if (!isIgnored([...at, key], ignore) && out.length < MAX_PATHS) out.push(toPointer([...at, key]));
      } else {
        diffJson(a[key], b[key], [...at, key], ignore, out);
      }
    }
    return;
  }
  if (!Object.is(a, b)) out.push(toPointer(at));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIgnored(at: readonly string[], ignore: CompareRules['ignorePaths']): boolean {
  return ignore.some((pattern) => pattern.length <= at.length && pattern.every((segment, i) => segment === '*' || segment === at[i]));
}

/** RFC 6901: `''` is the whole document, `/a/0/b~1c` the member `b/c` of `a[0]`. */
export function toPointer(segments: readonly string[]): string {
  return segments.map((s) => `/${s.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** Parses a JSON Pointer pattern (`/items/*\/updatedAt`) into segments; throws on a bad one. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new TypeError(`shadow: ignorePaths entry ${JSON.stringify(pointer)} must be a JSON Pointer starting with '/'`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}
