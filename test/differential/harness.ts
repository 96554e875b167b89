/**
 * The differential harness: one Express app factory, two servers.
 *
 * `startPair(factory)` calls the factory twice (so no state is shared) and
 * serves one app natively with `http.createServer(app)` and the other through
 * `http.createServer(toNodeListener(fromExpress(app)))`, both on
 * 127.0.0.1:0. `pair.exchange()` sends the identical bytes to both and
 * `expectSame()` asserts that the client saw the same thing on each side.
 * Each side gets its own `Probe` so that what Express observed (events on
 * req/res, on-finished callbacks) can be compared as well.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { fromExpress } from '../../src/bridge/index.js';
import { toNodeListener } from '../../src/adapter/index.js';
import type { App } from '../../src/protocol/types.js';
import { bridgePath } from '../../src/bridge/direct-path.js';
import { diffExchange, summarize, type CompareOptions } from './compare.js';
import { buildRequest, rawExchange, type RawExchange, type RawRequestOptions, type RequestSpec } from './raw-client.js';

export type SideName = 'native' | 'bridged';

/**
 * `DIFF_BRIDGE_PATH=fake` runs the whole suite on the bridge's fake path (the
 * direct path is off); by default every plain `http` scope must take the
 * direct path (the adapter's own req/res) and every other scope the fake one.
 * `expectSame` checks which path served each bridged request.
 */
const forceFake = process.env['DIFF_BRIDGE_PATH'] === 'fake';
bridgePath.enabled = !forceFake;
const servedByPort = new Map<number, string[]>();
bridgePath.served = (path, scope) => {
  servedByPort.get(scope.server?.[1] ?? -1)?.push(`${scope.type}:${path}`);
};

/** The path each bridged scope must take in this run. */
export function expectedPath(type: string): string {
  return `${type}:${forceFake || type !== 'http' ? 'fake' : 'direct'}`;
}

/** What an app recorded about itself, readable by the test. */
export class Probe {
  readonly events: string[] = [];
  /** Free-form values a scenario wants to inspect (e.g. the last `req` it saw). */
  readonly values = new Map<string, unknown>();
  private waiters: Array<() => void> = [];

  constructor(readonly side: SideName) {}

  record(event: string): void {
    this.events.push(event);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once `predicate(events)` holds; rejects after `timeoutMs`. */
  async waitFor(predicate: (events: string[]) => boolean, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`${this.side} probe: condition not met within ${timeoutMs} ms; events=${JSON.stringify(this.events)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves after the events stop changing for `quietMs` (bounded by `timeoutMs`). */
  async settle(quietMs = 150, timeoutMs = 3000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let seen = -1;
    while (seen !== this.events.length && Date.now() < deadline) {
      seen = this.events.length;
      await new Promise((resolve) => setTimeout(resolve, quietMs));
    }
    return [...this.events];
  }

  clear(): void {
    this.events.length = 0;
    this.values.clear();
  }
}

type Handler = Parameters<typeof fromExpress>[0];

/** Builds a fresh app; called once per side. */
export type AppFactory = (probe: Probe) => Handler;

export interface PairOptions {
  /** Serve both sides over TLS with this key/cert. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Wrap the bridged PAGI app, e.g. in a deliberately broken middleware for the comparator self-test. */
  wrapBridged?: (app: App) => App;
  /** Listen (and connect) on this address instead of 127.0.0.1, e.g. '::1'. */
  host?: string;
  /** Options for `fromExpress` on the bridged side. */
  bridge?: Parameters<typeof fromExpress>[1];
}

export interface Side {
  name: SideName;
  port: number;
  probe: Probe;
  server: http.Server;
}

export interface ExchangeResult {
  native: RawExchange;
  bridged: RawExchange;
  /** Which bridge path served each scope of the bridged side (`http:direct`, `sse:fake`, ...). */
  bridgedPaths?: string[];
}

export interface Pair {
  native: Side;
  bridged: Side;
  tls: boolean;
  /** Sends the identical exchange to both sides concurrently. */
  exchange(options: Omit<RawRequestOptions, 'port' | 'tls'>): Promise<ExchangeResult>;
  /** Like `exchange`, but each side's request may differ (e.g. carry the session cookie that side issued). */
  exchangeEach(build: (side: Side) => Omit<RawRequestOptions, 'port' | 'tls'>): Promise<ExchangeResult>;
  /** Shorthand: build the request bytes from a spec, then `exchange`. */
  request(spec: RequestSpec, options?: Omit<RawRequestOptions, 'port' | 'tls' | 'request'>): Promise<ExchangeResult>;
  /** Clears both probes. */
  reset(): void;
  close(): Promise<void>;
}

function listen(server: http.Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function createServer(listener: http.RequestListener, options: PairOptions): http.Server {
  if (options.tls !== undefined) return https.createServer({ key: options.tls.key, cert: options.tls.cert }, listener);
  return http.createServer(listener);
}

/** The bridged request listener for a handler, as a user would write it. */
function bridgedListener(handler: Handler, options: PairOptions): http.RequestListener {
  const app = fromExpress(handler, options.bridge);
  const wrap = options.wrapBridged;
  return toNodeListener(wrap === undefined ? app : wrap(app));
}

export async function startPair(factory: AppFactory, options: PairOptions = {}): Promise<Pair> {
  const nativeProbe = new Probe('native');
  const bridgedProbe = new Probe('bridged');
  const nativeServer = createServer(factory(nativeProbe) as http.RequestListener, options);
  const bridgedServer = createServer(bridgedListener(factory(bridgedProbe), options), options);
  const host = options.host ?? '127.0.0.1';
  const [nativePort, bridgedPort] = await Promise.all([listen(nativeServer, host), listen(bridgedServer, host)]);
  const tls = options.tls !== undefined;
  const native: Side = { name: 'native', port: nativePort, probe: nativeProbe, server: nativeServer };
  const bridged: Side = { name: 'bridged', port: bridgedPort, probe: bridgedProbe, server: bridgedServer };
  const served: string[] = [];
  servedByPort.set(bridgedPort, served);
  const exchangeEach: Pair['exchangeEach'] = async (build) => {
    const before = served.length;
    const [a, b] = await Promise.all([
      rawExchange({ host, ...build(native), port: native.port, tls }),
      rawExchange({ host, ...build(bridged), port: bridged.port, tls }),
    ]);
    return { native: a, bridged: b, bridgedPaths: served.slice(before) };
  };
  const exchange: Pair['exchange'] = (request) => exchangeEach(() => request);
  return {
    native,
    bridged,
    tls,
    exchange,
    exchangeEach,
    request: (spec, extra = {}) => exchange({ ...extra, request: buildRequest(spec), methods: [spec.method ?? 'GET'] }),
    reset: () => {
      nativeProbe.clear();
      bridgedProbe.clear();
    },
    close: async () => {
      servedByPort.delete(bridgedPort);
      await Promise.all([closeServer(nativeServer), closeServer(bridgedServer)]);
    },
  };
}

/**
 * Asserts both sides answered identically, and that the native side produced
 * a response at all (a scenario where native Express times out tests nothing).
 */
export function expectSame(result: ExchangeResult, options: CompareOptions = {}): void {
  const diffs = diffExchange(result.native, result.bridged, options);
  const context = `\n  native:  ${summarize(result.native)}\n  bridged: ${summarize(result.bridged)}`;
  expect(diffs, `differences:${context}`).toEqual([]);
  expect(result.native.end, `native side timed out${context}`).not.toBe('timeout');
  for (const served of result.bridgedPaths ?? []) {
    expect(served, 'bridge path that served the scope').toBe(expectedPath(served.split(':')[0] as string));
  }
}

/** The first response of an exchange, asserting there is one. */
export function first(exchange: RawExchange): NonNullable<RawExchange['responses'][0]> {
  const response = exchange.responses[0];
  if (response === undefined) throw new Error(`no response: ${summarize(exchange)}`);
  return response;
}

/** The body of the first response parsed as JSON. */
export function json(exchange: RawExchange): unknown {
  return JSON.parse(first(exchange).body.toString('utf8'));
}

/** Value of a header of the first response (first occurrence, case-insensitive). */
export function header(exchange: RawExchange, name: string): string | undefined {
  return first(exchange).headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

/** A table-driven scenario: one request, compared on both sides, optionally checked further. */
export interface Scenario {
  name: string;
  spec: RequestSpec;
  options?: Omit<RawRequestOptions, 'port' | 'tls' | 'request'>;
  compare?: CompareOptions;
  /** The native status this scenario is about, so a broken fixture cannot pass vacuously. */
  status?: number;
  /** Further assertions on the (already compared) result. */
  check?: (result: ExchangeResult) => void | Promise<void>;
  /** A known bridge/adapter difference, reported in an inbox: the scenario is expected to fail for now. */
  known?: string;
  /** A difference PAGI cannot express (a protocol limit): the scenario is skipped, with the reason. */
  protocolLimit?: string;
}

type ScenarioTest = (name: string, body: () => Promise<void>) => void;

/** Set DIFF_RUN_LIMITS=1 to run the protocol-limit scenarios too (they are expected to show their difference). */
const runLimits = process.env['DIFF_RUN_LIMITS'] === '1';

/** `it`, `it.fails` for a scenario with a known, reported difference, or `it.skip` for a protocol limit. */
export function itFor(scenario: Scenario): ScenarioTest {
  if (scenario.protocolLimit !== undefined && !runLimits) return it.skip;
  return scenario.known === undefined ? it : it.fails;
}

export async function runScenario(pair: Pair, scenario: Scenario): Promise<ExchangeResult> {
  const result = await pair.request(scenario.spec, scenario.options);
  expectSame(result, scenario.compare);
  if (scenario.status !== undefined) expect(first(result.native).status).toBe(scenario.status);
  await scenario.check?.(result);
  return result;
}

/**
 * For each marker (in order of appearance in the final body), the time in ms
 * after the request was written at which the marker had fully arrived.
 */
export function markerArrivalTimes(exchange: RawExchange, markers: string[]): number[] {
  const body = first(exchange).body.toString('latin1');
  let from = 0;
  return markers.map((marker) => {
    const at = body.indexOf(marker, from);
    if (at < 0) throw new Error(`marker ${JSON.stringify(marker)} not in body ${JSON.stringify(body.slice(0, 200))}`);
    from = at + marker.length;
    const arrival = exchange.arrivals.find((a) => a.bodyBytes >= at + marker.length);
    if (arrival === undefined) throw new Error(`marker ${JSON.stringify(marker)} has no recorded arrival`);
    return arrival.atMs;
  });
}

/**
 * Asserts the markers arrived in separate reads at least `minGapMs` apart,
 * i.e. the response was streamed, not buffered until the end.
 */
export function expectStreamed(exchange: RawExchange, markers: string[], minGapMs: number, label = ''): void {
  const times = markerArrivalTimes(exchange, markers);
  for (let i = 1; i < times.length; i += 1) {
    const gap = (times[i] ?? 0) - (times[i - 1] ?? 0);
    expect(gap, `${label} gap before ${JSON.stringify(markers[i])} (times ${times.map((t) => t.toFixed(0)).join(', ')} ms)`).toBeGreaterThanOrEqual(minGapMs);
  }
}

/**
 * Waits until both probes are quiet, then asserts Express observed the same
 * sequence of events on both sides; returns that sequence.
 */
export async function expectSameEvents(pair: Pair, quietMs = 150): Promise<string[]> {
  const [native, bridged] = await Promise.all([pair.native.probe.settle(quietMs), pair.bridged.probe.settle(quietMs)]);
  expect(bridged, `events seen by Express (native ${JSON.stringify(native)})`).toEqual(native);
  return native;
}
