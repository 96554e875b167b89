/**
 * `shadow(primary, candidate, options?)`: prove a rewrite on real traffic
 * before switching to it (PROTOCOL.md §11: `shadow` is an intermediary that
 * observes, never acts). The client always gets the primary's answer,
 * streamed as it comes and unchanged; a copy of the request goes to the
 * candidate concurrently; the two answers are compared and counted.
 *
 * Policy per scope type:
 * - `http`: shadowed when the method is in `methods` (default `GET`, `HEAD`)
 *   and the request is sampled (`sampleRate`); see `shadow-exchange.ts`.
 * - `sse`, `websocket`: the primary only. Streams do not end on their own and
 *   a second WebSocket peer would be a second conversation, not a copy.
 * - `lifespan`: the primary answers the server; the candidate gets its own
 *   run alongside, and cannot fail the server (`shadow-lifespan.ts`).
 * - any other type: the primary only.
 */
import type { App, HTTPScope, LifespanScope, Receive, Scope, Send } from '../protocol/types.js';
import { parsePointer, type CompareRules } from './shadow-compare.js';
import { ShadowExchange, type ExchangeContext, type ExchangeResult, type ShadowCandidateError, type ShadowDifference } from './shadow-exchange.js';
import { CandidateLifespan } from './shadow-lifespan.js';
import { ShadowTally, type ShadowReport, type ShadowSkipReason } from './shadow-report.js';
import { declaredLength } from './shadow-tee.js';

export interface ShadowOptions {
  /** Fraction of eligible requests copied to the candidate, 0 to 1. Default `1`. */
  sampleRate?: number;
  /**
   * Methods that are shadowed. Default `['GET', 'HEAD']`. The candidate really
   * runs: a `POST` shadowed against a candidate that writes to the same
   * database writes twice. Opt other methods in only for candidates without
   * side effects (a dry-run mode, a copy of the data).
   */
  methods?: Iterable<string>;
  /**
   * Which requests are shadowed, after `methods`: typically the routes the
   * candidate implements, `(scope) => scope.path.startsWith('/api/users')`.
   * Others go to the primary alone and are not counted. Default: all.
   */
  filter?: (scope: HTTPScope) => boolean;
  /** Request-body bytes copied to the candidate; a larger body skips the exchange. Default 1 MiB. */
  bodyLimit?: number;
  /** Seconds the candidate has to complete its response once it has the whole request body. Default `2`. */
  timeout?: number;
  /** Candidate runs in flight at once; past it requests are skipped (`concurrency`). Default `16`. */
  maxConcurrent?: number;
  /**
   * Response header names (any case) whose presence and values are not
   * compared. Default `['date', 'etag', 'x-request-id']`; the list replaces the
   * default. Framing headers (`content-length`, `transfer-encoding`,
   * `connection`, `keep-alive`) are never compared.
   */
  ignoreHeaders?: Iterable<string>;
  /** Compare `set-cookie` values and `Expires` too. Default `false`: cookie names and other attributes only. */
  compareCookieValues?: boolean;
  /**
   * JSON Pointers (RFC 6901) left out of the JSON comparison, `*` matching any
   * one key or index: `['/updatedAt', '/items/*\/id']`. A pointer covers
   * everything below it.
   */
  ignorePaths?: Iterable<string>;
  /** JSON bodies up to this many bytes are compared structurally; larger ones by digest. Default 1 MiB. */
  jsonLimit?: number;
  /**
   * The route key a request is counted under in `report()`. Default: method
   * and full decoded path, `GET /users/42`. Normalise ids away to group
   * requests: `(scope) => \`${scope.method} ${scope.path.replace(/\/\d+/g, '/:id')}\``.
   */
  route?: (scope: HTTPScope) => string;
  /** Distinct route keys kept; later ones are counted under `'(other routes)'`. Default `1000`. */
  maxRoutes?: number;
  /** Called for every compared request whose answers differed. */
  onDifference?: (record: ShadowDifference) => void;
  /** Called when the candidate failed or timed out (the client saw nothing of it). */
  onCandidateError?: (record: ShadowCandidateError) => void;
}

/** The app `shadow` returns, with its report. */
export interface ShadowedApp {
  (scope: Scope, receive: Receive, send: Send): Promise<void>;
  /** Counts per route since the start (or the last `reset()`). */
  report(): ShadowReport;
  /** Resolves once every request shadowed so far has been counted. */
  idle(): Promise<void>;
  /** Clears the counts. */
  reset(): void;
}

const MIB = 1024 * 1024;
const DEFAULT_IGNORED = ['date', 'etag', 'x-request-id'];

/** Serves `primary` and compares `candidate`'s answers to a copy of each request with it. */
export function shadow(primary: App, candidate: App, options: ShadowOptions = {}): ShadowedApp {
  if (typeof primary !== 'function') throw new TypeError('shadow: primary is not a function');
  if (typeof candidate !== 'function') throw new TypeError('shadow: candidate is not a function');
  const settings = resolveOptions(options);
  return new Shadow(primary, candidate, settings).app;
}

interface Settings {
  sampleRate: number;
  methods: ReadonlySet<string>;
  filter: ((scope: HTTPScope) => boolean) | undefined;
  bodyLimit: number;
  timeoutMs: number;
  maxConcurrent: number;
  jsonLimit: number;
  maxRoutes: number;
  rules: CompareRules;
  route: (scope: HTTPScope) => string;
  onDifference: ((record: ShadowDifference) => void) | undefined;
  onCandidateError: ((record: ShadowCandidateError) => void) | undefined;
}

function resolveOptions(options: ShadowOptions): Settings {
  const sampleRate = options.sampleRate ?? 1;
  if (!(sampleRate >= 0 && sampleRate <= 1)) throw new TypeError('shadow: sampleRate must be a number from 0 to 1');
  const timeout = options.timeout ?? 2;
  if (!(timeout > 0)) throw new TypeError('shadow: timeout must be a positive number of seconds');
  return {
    sampleRate,
    methods: new Set([...(options.methods ?? ['GET', 'HEAD'])].map((m) => m.toUpperCase())),
    filter: options.filter,
    bodyLimit: nonNegative('bodyLimit', options.bodyLimit ?? MIB),
    timeoutMs: timeout * 1000,
    maxConcurrent: nonNegative('maxConcurrent', options.maxConcurrent ?? 16),
    jsonLimit: nonNegative('jsonLimit', options.jsonLimit ?? MIB),
    maxRoutes: nonNegative('maxRoutes', options.maxRoutes ?? 1000),
    rules: {
      ignoreHeaders: new Set([...(options.ignoreHeaders ?? DEFAULT_IGNORED)].map((h) => h.toLowerCase())),
      compareCookieValues: options.compareCookieValues === true,
      ignorePaths: [...(options.ignorePaths ?? [])].map(parsePointer),
      compareBody: true,
    },
    route: options.route ?? defaultRoute,
    onDifference: options.onDifference,
    onCandidateError: options.onCandidateError,
  };
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0)) throw new TypeError(`shadow: ${name} must be a non-negative number`);
  return value;
}

function defaultRoute(scope: HTTPScope): string {
  return `${scope.method} ${scope.root_path}${scope.path}`;
}

class Shadow {
  readonly app: ShadowedApp;
  private readonly tally: ShadowTally;
  private readonly lifespan = new CandidateLifespan();
  private inFlight = 0;
  /*
   * Comparisons not yet finished. A count, not a Set of exchanges: on Node 24 a Set that every
   * request joins and leaves made V8 keep request graphs through scavenges (measured, not
   * explained; a rehashed table keeps a link to its successor, a likely culprit once in old space):
   * 100-230 MB promoted in 6 s of load and a 64 MB nursery (shadow of a PAGI app by itself),
   * against 6 MB without it.
   */
  private open = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly headRules: CompareRules;

  constructor(
    private readonly primary: App,
    private readonly candidate: App,
    private readonly settings: Settings,
  ) {
    this.tally = new ShadowTally(settings.maxRoutes);
    this.headRules = { ...settings.rules, compareBody: false };
    const app = ((scope: Scope, receive: Receive, send: Send) => this.dispatch(scope, receive, send)) as ShadowedApp;
    app.report = () => this.tally.snapshot(this.lifespan.status);
    app.idle = () => this.idle();
    app.reset = () => this.tally.reset();
    this.app = app;
  }

  private dispatch(scope: Scope, receive: Receive, send: Send): Promise<void> {
    if (scope.type === 'lifespan') return this.runLifespan(scope, receive, send);
    if (scope.type !== 'http') return this.primary(scope, receive, send);
    const s = this.settings;
    if (!s.methods.has(scope.method) || !this.selected(scope)) return this.primary(scope, receive, send);
    if (s.sampleRate < 1 && !(Math.random() < s.sampleRate)) return this.primary(scope, receive, send);
    const route = this.routeOf(scope);
    const reason = this.refusal(scope);
    if (reason !== undefined) {
      this.tally.skipped(route, reason);
      return this.primary(scope, receive, send);
    }
    return this.shadowed(scope, receive, send, route);
  }

  private runLifespan(scope: LifespanScope, receive: Receive, send: Send): Promise<void> {
    return this.lifespan.run(this.primary, this.candidate, scope, receive, send, this.settings.timeoutMs);
  }

  /** Why this picked request cannot go to the candidate, if it cannot. */
  private refusal(scope: HTTPScope): ShadowSkipReason | undefined {
    if (!this.lifespan.available) return 'candidate-unavailable';
    if (this.inFlight >= this.settings.maxConcurrent) return 'concurrency';
    const length = declaredLength(scope.headers);
    if (length !== undefined && length > this.settings.bodyLimit) return 'body-limit';
    return undefined;
  }

  private shadowed(scope: HTTPScope, receive: Receive, send: Send, route: string): Promise<void> {
    const target = scope.query_string === '' ? scope.raw_path : `${scope.raw_path}?${scope.query_string}`;
    const info = { method: scope.method, path: scope.root_path + scope.path, target, route };
    this.inFlight++;
    this.tally.shadowed(route);
    const exchange = new ShadowExchange(info, scope, receive, send, this.context(scope));
    this.open++;
    return exchange.runPrimary(this.primary);
  }

  private context(scope: HTTPScope): ExchangeContext {
    const s = this.settings;
    return {
      candidate: this.candidate,
      candidateState: this.lifespan.state,
      rules: scope.method === 'HEAD' ? this.headRules : s.rules,
      bodyLimit: s.bodyLimit,
      timeoutMs: s.timeoutMs,
      jsonLimit: s.jsonLimit,
      done: (exchange, result) => this.done(exchange, result),
      released: () => {
        this.inFlight--;
      },
    };
  }

  private done(exchange: ShadowExchange, result: ExchangeResult): void {
    const route = exchange.info.route;
    switch (result.kind) {
      case 'matched':
        this.tally.outcome(route, 'matched');
        break;
      case 'differed':
        this.tally.outcome(route, 'differed');
        callHook('onDifference', this.settings.onDifference, result.record);
        break;
      case 'failed':
        this.tally.outcome(route, result.outcome);
        callHook('onCandidateError', this.settings.onCandidateError, result.record);
        break;
      case 'skipped':
        this.tally.skipped(route, result.reason);
        break;
    }
    if (--this.open === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private idle(): Promise<void> {
    if (this.open === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private selected(scope: HTTPScope): boolean {
    if (this.settings.filter === undefined) return true;
    try {
      return this.settings.filter(scope) === true;
    } catch (error) {
      console.error('pagi shadow: the filter option threw; not shadowing this request', error);
      return false;
    }
  }

  private routeOf(scope: HTTPScope): string {
    try {
      return String(this.settings.route(scope));
    } catch (error) {
      console.error('pagi shadow: the route option threw; counting under the default key', error);
      return defaultRoute(scope);
    }
  }
}

/** A hook that throws is logged: it must not reach the primary's request. */
function callHook<T>(name: string, hook: ((record: T) => void) | undefined, record: T): void {
  if (hook === undefined) return;
  try {
    hook(record);
  } catch (error) {
    console.error(`pagi shadow: ${name} threw`, error);
  }
}
