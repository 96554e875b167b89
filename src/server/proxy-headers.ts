/**
 * `proxyHeaders` / `--proxy-headers`: when the peer is a trusted proxy
 * (`forwardedAllowIps`), the scope's `client` and `scheme` come from
 * `Forwarded` (RFC 7239) or `X-Forwarded-For` / `X-Forwarded-Proto`. The
 * client is the rightmost hop that is not itself a trusted proxy: every hop
 * to its right was written by a proxy we trust, everything to its left is
 * what the client claimed and could have forged.
 */
import { BlockList, isIP } from 'node:net';
import type { HeaderPair } from '../protocol/types.js';
import { InvalidOption } from './errors.js';

/** What the proxy headers say about a request, when its peer is trusted. */
export interface ForwardedInfo {
  /** The original client; `undefined` when the headers do not name one by address. */
  client: [string, number] | undefined;
  /** `'http'` or `'https'` as the client used it; `undefined` when not said. */
  scheme: 'http' | 'https' | undefined;
}

/** Decides which peers are trusted and reads their headers. */
export interface ProxyTrust {
  /** The forwarded client and scheme, or `undefined` when the peer is not trusted or sent none. */
  read(peer: string | undefined, headers: readonly HeaderPair[]): ForwardedInfo | undefined;
}

/**
 * Parses `forwardedAllowIps`: addresses, CIDRs (`10.0.0.0/8`, `fd00::/8`) or
 * `*`, as a comma-separated string or a list. Throws `InvalidOption` on an
 * entry that is none of these.
 */
export function createProxyTrust(allow: string | readonly string[]): ProxyTrust {
  const entries = (typeof allow === 'string' ? allow.split(',') : allow).map((e) => e.trim()).filter((e) => e !== '');
  const all = entries.includes('*');
  const list = new BlockList();
  for (const entry of all ? [] : entries) addEntry(list, entry);
  const trusted = (address: string): boolean => {
    if (all) return true;
    const plain = unmapped(address);
    const family = isIP(plain);
    return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  };
  return {
    read(peer, headers) {
      // A Unix-socket peer has no address: only local processes allowed by the socket's mode can connect.
      if (peer !== undefined && !trusted(peer)) return undefined;
      return readForwarded(headers, trusted);
    },
  };
}

function addEntry(list: BlockList, entry: string): void {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  const prefix = slash === -1 ? undefined : Number(entry.slice(slash + 1));
  const max = family === 4 ? 32 : 128;
  if (family === 0 || (prefix !== undefined && (!Number.isInteger(prefix) || prefix < 0 || prefix > max))) {
    throw new InvalidOption('forwardedAllowIps', `entries must be IP addresses, CIDRs or '*', got '${entry}'`);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (prefix === undefined) list.addAddress(address, type);
  else list.addSubnet(address, prefix, type);
}

/** `::ffff:127.0.0.1` (an IPv4 peer on a dual-stack socket) → `127.0.0.1`. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

interface Hop {
  /** The node as written (`for=`), without brackets and port. */
  address: string;
  port: number;
  proto: string | undefined;
}

/** `Forwarded` wins when present (it is the standard); else the X-Forwarded pair. */
function readForwarded(headers: readonly HeaderPair[], trusted: (address: string) => boolean): ForwardedInfo | undefined {
  const forwarded: string[] = [];
  const xff: string[] = [];
  const xfp: string[] = [];
  for (const [name, value] of headers) {
    if (name === 'forwarded') forwarded.push(value);
    else if (name === 'x-forwarded-for') xff.push(value);
    else if (name === 'x-forwarded-proto') xfp.push(value);
  }
  if (forwarded.length > 0) return fromHops(parseForwarded(forwarded.join(',')), undefined, trusted);
  if (xff.length === 0 && xfp.length === 0) return undefined;
  const hops: Hop[] = splitList(xff.join(',')).map((node) => ({ ...parseNode(node), proto: undefined }));
  const protos = splitList(xfp.join(','));
  // One proto per hop: the one added with the chosen client; a lone proto applies to all.
  if (protos.length === hops.length) hops.forEach((hop, i) => (hop.proto = protos[i]));
  return fromHops(hops, protos.at(-1), trusted);
}

function fromHops(hops: Hop[], fallbackProto: string | undefined, trusted: (address: string) => boolean): ForwardedInfo {
  // Rightmost untrusted hop; if every hop is a trusted proxy, the leftmost one.
  let chosen: Hop | undefined;
  for (let i = hops.length - 1; i >= 0; i--) {
    chosen = hops[i] as Hop;
    if (!trusted(chosen.address)) break;
  }
  const address = chosen === undefined ? undefined : unmapped(chosen.address);
  const client: [string, number] | undefined = address !== undefined && isIP(address) !== 0 ? [address, chosen?.port ?? 0] : undefined;
  return { client, scheme: schemeOf(chosen?.proto ?? fallbackProto) };
}

function schemeOf(proto: string | undefined): 'http' | 'https' | undefined {
  const p = proto?.trim().toLowerCase();
  if (p === 'https' || p === 'wss') return 'https';
  if (p === 'http' || p === 'ws') return 'http';
  return undefined;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** RFC 7239 §4: elements separated by `,`, pairs by `;`, values tokens or quoted strings. */
function parseForwarded(value: string): Hop[] {
  const hops: Hop[] = [];
  for (const element of splitOutsideQuotes(value, ',')) {
    let node: { address: string; port: number } | undefined;
    let proto: string | undefined;
    for (const pair of splitOutsideQuotes(element, ';')) {
      const eq = pair.indexOf('=');
      if (eq === -1) continue;
      const key = pair.slice(0, eq).trim().toLowerCase();
      const raw = pair.slice(eq + 1).trim();
      const val = raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
      if (key === 'for') node = parseNode(val);
      else if (key === 'proto') proto = val;
    }
    // An element without `for=` says nothing about who connected; skip it.
    if (node !== undefined) hops.push({ ...node, proto });
  }
  return hops;
}

function splitOutsideQuotes(value: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === separator && !quoted) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** `1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]:80`, `2001:db8::1` (X-Forwarded-For), `unknown`, `_hidden`. */
function parseNode(node: string): { address: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(node);
  if (bracketed) return { address: bracketed[1] as string, port: Number(bracketed[2] ?? 0) };
  const v4 = /^([\d.]+):(\d+)$/.exec(node);
  if (v4 && isIP(v4[1] as string) === 4) return { address: v4[1] as string, port: Number(v4[2]) };
  return { address: node, port: 0 };
}

/**
 * Rewrites `scope.client` and `scope.scheme` from the proxy headers when the
 * peer (the scope's client as the socket saw it) is trusted. WebSocket scopes
 * get `ws`/`wss`.
 */
export function applyProxyHeaders(
  trust: ProxyTrust,
  scope: { client?: [string, number]; scheme: string; headers: HeaderPair[] },
): void {
  const info = trust.read(scope.client?.[0], scope.headers);
  if (info === undefined) return;
  if (info.client !== undefined) scope.client = info.client;
  if (info.scheme !== undefined) {
    const websocket = scope.scheme === 'ws' || scope.scheme === 'wss';
    scope.scheme = websocket ? (info.scheme === 'https' ? 'wss' : 'ws') : info.scheme;
  }
}
