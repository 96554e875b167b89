/**
 * `shadow(...).report()`: counts per route. A route is the key the `route`
 * option computes (default: method and full decoded path). The table holds at
 * most `maxRoutes` keys so that ids in paths cannot grow it without bound;
 * later routes are counted under `OTHER_ROUTES`.
 */

/** Counts for one route (or all of them). */
export interface ShadowCounts {
  /** Requests whose copy went to the candidate. */
  shadowed: number;
  /** Shadowed requests whose answers matched. */
  matched: number;
  /** Shadowed requests whose answers differed (each one went to `onDifference`). */
  differed: number;
  /** The candidate threw, aborted, sent an invalid or misordered event, or returned before its response was complete. */
  candidateErrors: number;
  /** The candidate did not complete its response within `timeout`. */
  candidateTimeouts: number;
  /** Requests picked for shadowing (method allowed, sampled) that could not be compared; see `ShadowReport.skippedBy`. */
  skipped: number;
}

/**
 * Why a picked request was not compared:
 * - `concurrency`: `maxConcurrent` candidate runs were in flight (not shadowed).
 * - `candidate-unavailable`: the candidate's lifespan startup had not completed, or failed (not shadowed).
 * - `body-limit`: the request body is larger than `bodyLimit` (declared: not shadowed; streamed: cancelled).
 * - `body-unread`: the primary finished without reading the whole body, so there was none to copy.
 * - `primary-incomplete`: the primary's response did not complete (client gone, error, incomplete response).
 * - `primary-unreadable`: the primary's `file`/`fh` body could not be read back for the comparison.
 */
export type ShadowSkipReason =
  | 'concurrency'
  | 'candidate-unavailable'
  | 'body-limit'
  | 'body-unread'
  | 'primary-incomplete'
  | 'primary-unreadable';

/** What `report()` returns: a snapshot, not a live view. */
export interface ShadowReport {
  /** Counts per route key. */
  routes: Record<string, ShadowCounts>;
  /** Sums over every route. */
  total: ShadowCounts;
  /** `total.skipped`, by reason. */
  skippedBy: Record<ShadowSkipReason, number>;
  /** The candidate's own lifespan (see `shadow`): `'not-run'` when no lifespan scope came. */
  candidateLifespan: CandidateLifespanStatus;
}

export type CandidateLifespanStatus = 'not-run' | 'starting' | 'running' | 'declined' | 'failed' | 'stopped';

export type Outcome = 'matched' | 'differed' | 'candidateErrors' | 'candidateTimeouts';

/** The route key used once `maxRoutes` keys exist. */
export const OTHER_ROUTES = '(other routes)';

const SKIP_REASONS: readonly ShadowSkipReason[] = [
  'concurrency',
  'candidate-unavailable',
  'body-limit',
  'body-unread',
  'primary-incomplete',
  'primary-unreadable',
];

function zero(): ShadowCounts {
  return { shadowed: 0, matched: 0, differed: 0, candidateErrors: 0, candidateTimeouts: 0, skipped: 0 };
}

export class ShadowTally {
  private readonly routes = new Map<string, ShadowCounts>();
  private readonly skips = new Map<ShadowSkipReason, number>();

  constructor(private readonly maxRoutes: number) {}

  /** The copy went to the candidate. */
  shadowed(route: string): void {
    this.counts(route).shadowed++;
  }

  outcome(route: string, outcome: Outcome): void {
    this.counts(route)[outcome]++;
  }

  skipped(route: string, reason: ShadowSkipReason): void {
    this.counts(route).skipped++;
    this.skips.set(reason, (this.skips.get(reason) ?? 0) + 1);
  }

  reset(): void {
    this.routes.clear();
    this.skips.clear();
  }

  snapshot(candidateLifespan: CandidateLifespanStatus): ShadowReport {
    const routes: Record<string, ShadowCounts> = {};
    const total = zero();
    for (const [route, counts] of this.routes) {
      routes[route] = { ...counts };
      for (const key of Object.keys(total) as (keyof ShadowCounts)[]) total[key] += counts[key];
    }
    const skippedBy = Object.fromEntries(SKIP_REASONS.map((r) => [r, this.skips.get(r) ?? 0])) as Record<ShadowSkipReason, number>;
    return { routes, total, skippedBy, candidateLifespan };
  }

  private counts(route: string): ShadowCounts {
    let counts = this.routes.get(route);
    if (counts === undefined) {
      const key = this.routes.size < this.maxRoutes ? route : OTHER_ROUTES;
      counts = this.routes.get(key);
      if (counts === undefined) {
        counts = zero();
        this.routes.set(key, counts);
      }
    }
    return counts;
  }
}
