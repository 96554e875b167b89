/**
 * What `lint` checks on the scope it is handed (PROTOCOL.md §3, §4.1, §5.1,
 * §9.1), and the snapshot that detects an app mutating it (§11).
 */
import type { Scope } from '../protocol/types.js';

const CONNECTION_TYPES = new Set(['http', 'sse', 'websocket']);

/** Problems with the scope's shape, one message per problem, naming the key. */
export function checkScope(scope: Scope): string[] {
  const s = scope as unknown as Record<string, unknown>;
  const problems: string[] = [];
  const type = s.type;
  if (typeof type !== 'string' || !(CONNECTION_TYPES.has(type) || type === 'lifespan')) {
    return [`scope.type must be 'http', 'sse', 'websocket' or 'lifespan', got ${JSON.stringify(type)}`];
  }
  if (typeof s.state !== 'object' || s.state === null) problems.push('scope.state must be an object');
  if (type === 'lifespan') return problems;
  for (const key of ['path', 'raw_path', 'query_string', 'root_path']) {
    if (typeof s[key] !== 'string') problems.push(`scope.${key} must be a string, got ${typeof s[key]}`);
  }
  if (typeof s.path === 'string' && !s.path.startsWith('/') && s.path !== '*') {
    problems.push(`scope.path must start with '/', got ${JSON.stringify(s.path)}`);
  }
  if (typeof s.query_string === 'string' && s.query_string.startsWith('?')) problems.push("scope.query_string must not start with '?'");
  if (type !== 'websocket') {
    if (typeof s.method !== 'string' || s.method === '' || s.method !== s.method.toUpperCase()) {
      problems.push(`scope.method must be an upper-case string, got ${JSON.stringify(s.method)}`);
    }
    if (s.scheme !== 'http' && s.scheme !== 'https') problems.push(`scope.scheme must be 'http' or 'https', got ${JSON.stringify(s.scheme)}`);
  } else {
    if (s.scheme !== 'ws' && s.scheme !== 'wss') problems.push(`scope.scheme must be 'ws' or 'wss', got ${JSON.stringify(s.scheme)}`);
    if (!Array.isArray(s.subprotocols)) problems.push('scope.subprotocols must be an array of strings');
  }
  problems.push(...checkHeaderPairs(s.headers));
  const connection = s['pagi.connection'] as { is_connected?: unknown } | undefined;
  if (typeof connection?.is_connected !== 'function') problems.push("scope['pagi.connection'] is missing");
  if (typeof s.extensions !== 'object' || s.extensions === null) problems.push('scope.extensions must be an object');
  return problems;
}

function checkHeaderPairs(headers: unknown): string[] {
  if (!Array.isArray(headers)) return ['scope.headers must be an array of [name, value] pairs'];
  const problems: string[] = [];
  headers.forEach((pair: unknown, i) => {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      problems.push(`scope.headers[${i}] must be a [name, value] pair of strings`);
    } else if (pair[0] !== pair[0].toLowerCase()) {
      problems.push(`scope.headers[${i}][0] must be lower-case, got ${JSON.stringify(pair[0])}`);
    }
  });
  return problems;
}

/** The scope's top-level values and its header pairs at one moment. */
export interface ScopeSnapshot {
  values: Map<string, unknown>;
  headers: string | undefined;
}

export function snapshotScope(scope: Scope): ScopeSnapshot {
  const s = scope as unknown as Record<string, unknown>;
  return {
    values: new Map(Object.keys(s).map((key) => [key, s[key]])),
    headers: Array.isArray(s.headers) ? JSON.stringify(s.headers) : undefined,
  };
}

/** How the scope changed since `before`; empty when it did not. */
export function scopeChanges(before: ScopeSnapshot, scope: Scope): string[] {
  const s = scope as unknown as Record<string, unknown>;
  const changes: string[] = [];
  for (const [key, value] of before.values) {
    if (!(key in s)) changes.push(`key '${key}' was deleted`);
    else if (s[key] !== value) changes.push(`key '${key}' was changed (${show(value)} -> ${show(s[key])})`);
  }
  for (const key of Object.keys(s)) if (!before.values.has(key)) changes.push(`key '${key}' was added`);
  if (before.headers !== undefined && Array.isArray(s.headers) && s.headers === before.values.get('headers')) {
    if (JSON.stringify(s.headers) !== before.headers) changes.push('scope.headers was modified in place');
  }
  return changes;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}
