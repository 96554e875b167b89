/**
 * `mount(routes, options?)`: a URL map (PROTOCOL.md §3.3, §11).
 *
 * Policy per scope type:
 * - `http`, `sse`, `websocket`: routed on the decoded `path` (never on
 *   `raw_path`, so `/%61dmin` reaches the `/admin` app); the longest matching
 *   prefix wins; the app gets a copy of the scope with the prefix moved from
 *   `path` to the end of `root_path` (`'/'` when nothing remains) and
 *   `raw_path` untouched. No match: the `fallback` app, else a `404 text/plain
 *   "Not Found"` (on `websocket` that is a refusal).
 * - `lifespan`: delivered to every mounted app, each once (see
 *   `lifespan-fanout.ts`).
 *
 * Matching must agree with the routers behind it, or a guard mounted at
 * `/admin` can be walked around. So a prefix matches whole segments only,
 * case-insensitively by default (Express's router and `express.static` on
 * case-insensitive file systems serve `/ADMIN` like `/admin`), and empty
 * segments are skipped (`express.static` serves `//admin/x` as `/admin/x`).
 * Dot segments are not resolved: Express's router does not resolve them
 * either (`/admin/../x` is routed under `/admin`) and `send` refuses them.
 */
import { UnsupportedScope } from '../protocol/errors.js';
import type { App, ConnectionScope, Receive, Scope, Send } from '../protocol/types.js';
import { fanOutLifespan, warnOnStderr } from './lifespan-fanout.js';
import { notFound } from './not-found.js';

export interface MountOptions {
  /**
   * Compare prefixes case-sensitively. Default `false`, matching Express
   * (`app.use('/admin')` also serves `/ADMIN`): a guard mounted in front of an
   * Express app must run for every spelling the app would serve. Set it to
   * `true` only when every app behind is case-sensitive too.
   */
  caseSensitive?: boolean;
  /** App for paths no prefix matches. Default: `404 text/plain "Not Found"`. */
  fallback?: App;
  /**
   * Told about mounted apps left out of lifespan (a plain HTTP handler that
   * fails on the lifespan scope; see `lifespan-fanout.ts`) and their lifespan
   * sends nobody awaited. Default: one `pagi warn:` line on stderr.
   */
  onWarning?: (message: string, error?: unknown) => void;
}

/** `{ '/api': app }`, or `[['/api', app]]` pairs. Prefixes are decoded paths. */
export type MountRoutes = Readonly<Record<string, App>> | Iterable<readonly [string, App]>;

interface Route {
  prefix: string;
  pattern: RegExp;
  app: App;
}

/** Builds an app that dispatches to `routes` by path prefix. */
export function mount(routes: MountRoutes, options: MountOptions = {}): App {
  const table = buildTable(routes, options.caseSensitive === true);
  const fallback = options.fallback ?? notFound;
  const lifespanApps = new Map<App, string>();
  for (const route of table) if (!lifespanApps.has(route.app)) lifespanApps.set(route.app, `mount '${route.prefix || '/'}'`);
  if (options.fallback && !lifespanApps.has(options.fallback)) lifespanApps.set(options.fallback, 'mount fallback');
  const warn = options.onWarning ?? warnOnStderr;

  return function mounted(scope: Scope, receive: Receive, send: Send): Promise<void> {
    if (scope.type === 'lifespan') return fanOutLifespan(lifespanApps, scope, receive, send, warn);
    if (typeof (scope as { path?: unknown }).path !== 'string') {
      return Promise.reject(new UnsupportedScope(String((scope as { type: unknown }).type), 'mount'));
    }
    for (const route of table) {
      const match = route.pattern.exec(scope.path);
      if (match) return route.app(moveToRoot(scope, match[0]), receive, send);
    }
    return fallback(scope, receive, send);
  };
}

/** A copy of `scope` with `consumed` (a prefix of `path`) moved to `root_path`. */
function moveToRoot(scope: ConnectionScope, consumed: string): Scope {
  if (consumed === '') return scope;
  const rest = scope.path.slice(consumed.length);
  return { ...scope, path: rest === '' ? '/' : rest, root_path: scope.root_path + consumed };
}

function buildTable(routes: MountRoutes, caseSensitive: boolean): Route[] {
  const entries: Iterable<readonly [string, App]> = isIterable(routes) ? routes : Object.entries(routes);
  const seen = new Map<string, string>();
  const table: Route[] = [];
  for (const [given, app] of entries) {
    if (typeof app !== 'function') throw new TypeError(`mount: the app for '${given}' is not a function`);
    if (given !== '' && !given.startsWith('/')) throw new TypeError(`mount: prefix '${given}' must start with '/'`);
    const segments = given.split('/').filter((s) => s !== '');
    const prefix = segments.map((s) => `/${s}`).join('');
    const key = caseSensitive ? prefix : prefix.toLowerCase();
    const clash = seen.get(key);
    if (clash !== undefined) throw new TypeError(`mount: prefixes '${clash}' and '${given}' are the same`);
    seen.set(key, given);
    // `/+` skips empty segments; the lookahead keeps matches on segment boundaries.
    const source = `^${segments.map((s) => `/+${escapeRegExp(s)}`).join('')}(?=/|$)`;
    // No `u` flag: the same case folding as Express's path-to-regexp patterns.
    table.push({ prefix, pattern: new RegExp(source, caseSensitive ? '' : 'i'), app });
  }
  // Longest prefix first; '' (the root) last.
  return table.sort((a, b) => b.prefix.length - a.prefix.length);
}

function isIterable(value: unknown): value is Iterable<readonly [string, App]> {
  return typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
