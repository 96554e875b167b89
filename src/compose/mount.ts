/**
 * `mount(routes, options?)`: a URL map (PROTOCOL.md §3.3, §11).
 *
 * Policy per scope type:
 * - `http`, `sse`, `websocket`: the longest matching prefix wins; the app
 *   gets a copy of the scope with the prefix moved from `path` to the end of
 *   `root_path` (`'/'` when nothing remains) and `raw_path` untouched. No
 *   match: the `fallback` app, else a `404 text/plain "Not Found"` (on
 *   `websocket` that is a refusal). An ambiguous target: `400 text/plain`
 *   before any app runs (see below).
 * - `lifespan`: delivered to every mounted app, each once (see
 *   `lifespan-fanout.ts`).
 *
 * One target, one meaning. A mount usually sits next to Express: in front of
 * it (`mount({ '/admin': guard, '/': fromExpress(app) })`) or behind its
 * guards (`app.use('/admin', guard); app.use(toExpress(mount(...)))`). Express
 * matches the encoded pathname; a PAGI mount matches the decoded `path`;
 * file servers also resolve dot segments and collapse `//`. So a prefix
 * matches whole segments, case-insensitively by default like Express, and a
 * target on which these readings could disagree is refused rather than
 * guessed (`protocol/target-check.ts`):
 * - whatever the prefixes: a `#` anywhere in the target, a `\` in the path;
 * - in each segment the mount compares (one that some prefix still agrees
 *   with up to there): `%2F`, `%5C`, `%00`, a dot segment, an empty segment
 *   (a trailing `/` is fine), invalid or overlong UTF-8, and a spelling whose
 *   raw and decoded forms match a prefix differently (`/%61dmin` against
 *   `/admin`); also a later `..` that would climb back into those segments.
 * Below the matched prefix nothing is refused: `/files/a%2Fb` under a
 * `/files` mount reaches its app with `path` `/a/b`. A mount with only `'/'`
 * compares no segment and refuses only `#` and `\`.
 */
import { UnsupportedScope } from '../protocol/errors.js';
import type { App, ConnectionScope, Receive, Scope, Send } from '../protocol/types.js';
import { fanOutLifespan, warnOnStderr } from './lifespan-fanout.js';
import { ambiguousTarget, notFound } from './not-found.js';
import { PrefixTable, type MountRoutes } from './prefix-table.js';

export type { MountRoutes } from './prefix-table.js';

export interface MountOptions {
  /**
   * Compare prefixes case-sensitively. Default `false`, matching Express
   * (`app.use('/admin')` also serves `/ADMIN`): a guard mounted in front of an
   * Express app must run for every spelling the app would serve. Set it to
   * `true` exactly when the Express app beside the mount has
   * `case sensitive routing` on, in either arrangement.
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

/**
 * Builds an app that dispatches to `routes` by path prefix: whole segments,
 * longest prefix first, case-insensitive unless `caseSensitive`. A target the
 * mount cannot read in one way only (`#` anywhere, `\` in the path; `%2F`,
 * `%5C`, `%00`, dot or empty segments, bad UTF-8 or an encoded spelling of a
 * prefix in the segments it compares) gets `400 text/plain` before any app
 * runs. See the README's "Composing apps" for the full rule.
 */
export function mount(routes: MountRoutes, options: MountOptions = {}): App {
  const table = new PrefixTable(routes, options.caseSensitive === true);
  const fallback = options.fallback ?? notFound;
  const lifespanApps = new Map<App, string>();
  for (const route of table.routes) if (!lifespanApps.has(route.app)) lifespanApps.set(route.app, `mount '${route.prefix || '/'}'`);
  if (options.fallback && !lifespanApps.has(options.fallback)) lifespanApps.set(options.fallback, 'mount fallback');
  const warn = options.onWarning ?? warnOnStderr;

  return function mounted(scope: Scope, receive: Receive, send: Send): Promise<void> {
    if (scope.type === 'lifespan') return fanOutLifespan(lifespanApps, scope, receive, send, warn);
    if (typeof (scope as { path?: unknown }).path !== 'string') {
      return Promise.reject(new UnsupportedScope(String((scope as { type: unknown }).type), 'mount'));
    }
    const decision = table.decide(scope);
    if (decision === undefined) return fallback(scope, receive, send);
    if ('refused' in decision) return ambiguousTarget(decision.refused)(scope, receive, send);
    return decision.route.app(moveToRoot(scope, decision.consumed), receive, send);
  };
}

/** A copy of `scope` with `consumed` (a prefix of `path`) moved to `root_path`. */
function moveToRoot(scope: ConnectionScope, consumed: string): Scope {
  if (consumed === '') return scope;
  const rest = scope.path.slice(consumed.length);
  return { ...scope, path: rest === '' ? '/' : rest, root_path: scope.root_path + consumed };
}
