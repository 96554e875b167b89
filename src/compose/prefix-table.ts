/**
 * The prefix table behind `mount`: validated prefixes, and for each scope
 * the one decision (PROTOCOL.md §3.3) of which prefix takes it, or that the
 * target is ambiguous and must be refused.
 *
 * The decision walks the target's segments as a trie: a segment is compared
 * only while some prefix still agrees with every segment before it, so the
 * checks of `protocol/target-check.ts` apply exactly to the segments this
 * mount decides on and nothing below them.
 */
import type { App, ConnectionScope } from '../protocol/types.js';
import { LiteralSegment, TargetSegments, wholeTargetAmbiguity, type TargetAmbiguity } from '../protocol/target-check.js';

/** `{ '/api': app }`, or `[['/api', app]]` pairs. Prefixes are decoded paths. */
export type MountRoutes = Readonly<Record<string, App>> | Iterable<readonly [string, App]>;

/** One mounted prefix: its normalised spelling, its segments as literals, its app. */
export interface PrefixRoute {
  /** Normalised: `/a/b`, `''` for the root. */
  prefix: string;
  segments: LiteralSegment[];
  app: App;
}

/** A prefix took the scope (`consumed`: the part of `path` it matched), or the target was refused. */
export type PrefixDecision = { route: PrefixRoute; consumed: string } | { refused: TargetAmbiguity };

/** The validated prefixes of one `mount`, and the decision for each scope. */
export class PrefixTable {
  /** Every route, longest prefix first, the root last. */
  readonly routes: readonly PrefixRoute[];
  /** The decision for the root route, made once. */
  private readonly atRoot: PrefixDecision | undefined;
  private readonly nested: readonly PrefixRoute[];

  constructor(routes: MountRoutes, caseSensitive: boolean) {
    this.routes = buildRoutes(routes, caseSensitive);
    const root = this.routes.find((route) => route.prefix === '');
    this.atRoot = root && { route: root, consumed: '' };
    this.nested = this.routes.filter((route) => route.prefix !== '');
  }

  /** The route for `scope`, a refusal, or `undefined` when no prefix matches. */
  decide(scope: ConnectionScope): PrefixDecision | undefined {
    const whole = wholeTargetAmbiguity(scope);
    if (whole !== undefined) return { refused: whole };
    let best = this.atRoot;
    if (this.nested.length === 0) return best;
    const walk = TargetSegments.open(scope);
    if (typeof walk === 'string') return { refused: walk };
    let candidates = this.nested;
    for (let depth = 0; candidates.length > 0; depth++) {
      const segment = walk.next();
      if (segment === undefined) break;
      if (typeof segment === 'string') return { refused: segment };
      const deeper: PrefixRoute[] = [];
      for (const route of candidates) {
        const verdict = (route.segments[depth] as LiteralSegment).match(segment);
        if (verdict === 'encoding-mismatch') return { refused: verdict };
        if (!verdict) continue;
        if (route.segments.length === depth + 1) best = { route, consumed: walk.consumed };
        else deeper.push(route);
      }
      candidates = deeper;
    }
    const climb = walk.finish();
    return climb === undefined ? best : { refused: climb };
  }
}

function buildRoutes(routes: MountRoutes, caseSensitive: boolean): PrefixRoute[] {
  const entries: Iterable<readonly [string, App]> = isIterable(routes) ? routes : Object.entries(routes);
  const seen = new Map<string, string>();
  const table: PrefixRoute[] = [];
  for (const [given, app] of entries) {
    if (typeof app !== 'function') throw new TypeError(`mount: the app for '${given}' is not a function`);
    if (given !== '' && !given.startsWith('/')) throw new TypeError(`mount: prefix '${given}' must start with '/'`);
    const segments = given.split('/').filter((s) => s !== '');
    for (const segment of segments) {
      // Such a prefix could never match: targets spelling it are refused.
      if (segment === '.' || segment === '..' || /[\\#\0]/.test(segment)) {
        throw new TypeError(`mount: prefix '${given}' has a segment no request can match ('${segment}')`);
      }
    }
    const prefix = segments.map((s) => `/${s}`).join('');
    const key = caseSensitive ? prefix : prefix.toLowerCase();
    const clash = seen.get(key);
    if (clash !== undefined) throw new TypeError(`mount: prefixes '${clash}' and '${given}' are the same`);
    seen.set(key, given);
    table.push({ prefix, segments: segments.map((s) => new LiteralSegment(s, caseSensitive)), app });
  }
  return table.sort((a, b) => b.segments.length - a.segments.length);
}

function isIterable(value: unknown): value is Iterable<readonly [string, App]> {
  return typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}
