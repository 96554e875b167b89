/**
 * A tiny in-process PAGI server for the bridge tests: builds a scope, scripts
 * `receive`, records every `send` (validated by the protocol's own state
 * machine) and lets a test hold sends back to create backpressure or
 * disconnect the client at any moment.
 */
import { createConnection, type ConnectionController } from '../../src/protocol/connection.js';
import { Disconnected } from '../../src/protocol/errors.js';
import type { App, HeaderPair, HTTPScope, ReceiveEvent, Scope, SendEvent, SSEScope } from '../../src/protocol/types.js';
import { createSendValidator } from '../../src/protocol/validate.js';

export interface ScopeInit {
  type?: 'http' | 'sse';
  method?: string;
  /** Raw path with optional `?query`. */
  url?: string;
  rootPath?: string;
  headers?: Array<[string, string]>;
  httpVersion?: '1.0' | '1.1' | '2';
  scheme?: 'http' | 'https';
  client?: [string, number];
  server?: [string, number];
  state?: Record<string, unknown>;
  extensions?: Record<string, Record<string, unknown>>;
}

export interface Exchange {
  scope: HTTPScope | SSEScope;
  connection: ConnectionController;
  /** Every accepted send event, in order. */
  events: SendEvent[];
  /** How many times the app called receive(). */
  receives: number;
  /** The app's promise. */
  done: Promise<void>;
  /** Feeds one body fragment to a pending or future receive(). */
  push(body: string | Uint8Array, more?: boolean): void;
  /** The client leaves: receive() yields the disconnect event, sends reject. */
  disconnect(reason?: string): void;
  /** While held, sends stay pending (backpressure); release() lets them through. */
  hold(): void;
  release(): void;
  /** Resolves once the app has sent `count` events (deadline 5 s). */
  waitForEvents(count: number, timeoutMs?: number): Promise<void>;
  status(): number | undefined;
  headers(): HeaderPair[];
  header(name: string): string | undefined;
  headerValues(name: string): string[];
  body(): Buffer;
  text(): string;
  /** The terminal event was accepted. */
  complete(): boolean;
}

function decodeRaw(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export function buildScope(init: ScopeInit, connection: ConnectionController): HTTPScope | SSEScope {
  const url = init.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const rootPath = init.rootPath ?? '';
  const decoded = decodeRaw(rawPath);
  const path = rootPath && decoded.startsWith(rootPath) ? decoded.slice(rootPath.length) || '/' : decoded;
  const headers: HeaderPair[] = (init.headers ?? [['host', 'example.test']]).map(([n, v]) => [n.toLowerCase(), v]);
  return {
    type: init.type ?? 'http',
    pagi: { version: '0.5', spec_version: '0.6' },
    http_version: init.httpVersion ?? '1.1',
    method: init.method ?? 'GET',
    scheme: init.scheme ?? 'http',
    path,
    raw_path: rawPath,
    query_string: q === -1 ? '' : url.slice(q + 1),
    root_path: rootPath,
    headers,
    client: init.client ?? ['127.0.0.1', 50000],
    server: init.server ?? ['127.0.0.1', 8080],
    state: init.state ?? {},
    extensions: init.extensions ?? {},
    'pagi.connection': connection.state,
  } as HTTPScope | SSEScope;
}

/**
 * Runs `app` on a scope built from `init`. `body` (if given) is delivered as
 * one final fragment; pass `body: null` and use `push()` to script it.
 */
export function run(app: App, init: ScopeInit & { body?: string | Uint8Array | null } = {}): Exchange {
  const connection = createConnection();
  const scope = buildScope(init, connection);
  const validator = createSendValidator(scope as Scope);
  const prefix = scope.type === 'sse' ? 'sse' : 'http';
  const queue: ReceiveEvent[] = [];
  const waiting: Array<(event: ReceiveEvent) => void> = [];
  const events: SendEvent[] = [];
  const eventWaiters: Array<() => void> = [];
  let held: Array<() => void> | undefined;
  let sendChain: Promise<void> = Promise.resolve();

  const disconnectEvent = (): ReceiveEvent =>
    prefix === 'sse'
      ? { type: 'sse.disconnect', reason: connection.reason ?? 'client_closed' }
      : { type: 'http.disconnect' };

  const deliver = (event: ReceiveEvent): void => {
    const w = waiting.shift();
    if (w) w(event);
    else queue.push(event);
  };

  let bodyDone = false;
  const endScope = (): void => {
    for (const w of waiting.splice(0)) w(disconnectEvent());
  };
  // §4.2: after a clean end, receive() yields the disconnect event only once
  // the body was complete; an unfinished body keeps arriving.
  const endCleanly = (): void => {
    if (bodyDone) endScope();
  };

  connection.setAbortHandler(() => endScope());

  const exchange: Exchange = {
    scope,
    connection,
    events,
    receives: 0,
    done: Promise.resolve(),
    push(body, more = false) {
      const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
      if (!more) bodyDone = true;
      deliver({ type: `${prefix}.request`, body: bytes, more } as ReceiveEvent);
    },
    disconnect(reason = 'client_closed') {
      if (connection.disconnect(reason)) {
        queue.length = 0;
        endScope();
        const h = held;
        held = undefined;
        if (h) for (const r of h) r();
      }
    },
    hold() {
      held ??= [];
    },
    release() {
      const h = held;
      held = undefined;
      if (h) for (const r of h) r();
    },
    waitForEvents(count, timeoutMs = 5000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${count} events, got ${JSON.stringify(events.map((e) => e.type))}`)), timeoutMs);
        const check = (): void => {
          if (events.length >= count) {
            clearTimeout(timer);
            resolve();
          } else eventWaiters.push(check);
        };
        check();
      });
    },
    status() {
      const start = events.find((e) => e.type === 'http.response.start');
      return start && 'status' in start ? start.status : undefined;
    },
    headers() {
      const start = events.find((e) => e.type === 'http.response.start') as { headers?: HeaderPair[] } | undefined;
      return start?.headers ?? [];
    },
    header(name) {
      return exchange.headers().find(([n]) => n === name)?.[1];
    },
    headerValues(name) {
      return exchange.headers().filter(([n]) => n === name).map(([, v]) => v);
    },
    body() {
      const parts: Buffer[] = [];
      for (const e of events) {
        if (e.type === 'http.response.body' && e.body !== undefined) {
          parts.push(typeof e.body === 'string' ? Buffer.from(e.body) : Buffer.from(e.body));
        }
      }
      return Buffer.concat(parts);
    },
    text() {
      return exchange.body().toString('utf8');
    },
    complete() {
      return validator.complete;
    },
  };

  const receive = (): Promise<ReceiveEvent> => {
    exchange.receives++;
    if (connection.ended && connection.reason) return Promise.resolve(disconnectEvent());
    const next = queue.shift();
    if (next) return Promise.resolve(next);
    if (connection.ended && bodyDone) return Promise.resolve(disconnectEvent());
    return new Promise((resolve) => waiting.push(resolve));
  };

  const sendOne = async (event: SendEvent): Promise<void> => {
    if (connection.reason) throw new Disconnected(connection.reason);
    const step = validator.check(event);
    if (held) {
      await new Promise<void>((resolve) => held?.push(resolve));
      if (connection.reason) throw new Disconnected(connection.reason);
    }
    validator.commit(step);
    events.push(event);
    if (event.type === 'http.response.start') connection.markStarted();
    if (validator.complete && connection.complete()) endCleanly();
    for (const w of eventWaiters.splice(0)) w();
  };

  const send = (event: SendEvent): Promise<void> => {
    const result = sendChain.then(() => sendOne(event));
    sendChain = result.catch(() => undefined);
    return result;
  };

  if (init.body !== null) {
    const body = init.body ?? '';
    exchange.push(body, false);
  }
  exchange.done = app(scope as Scope, receive, send).finally(() => {
    if (!validator.complete) connection.disconnect(validator.started ? 'server_error' : 'server_error');
    endScope();
  });
  return exchange;
}

/** Rejects after `ms` so a hung app fails the test instead of timing it out. */
export function within<T>(promise: Promise<T>, ms = 5000, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Serves `listener` on 127.0.0.1:0; `close()` also drops idle keep-alive sockets. */
export async function listen(listener: import('node:http').RequestListener): Promise<{ url: string; port: number; server: import('node:http').Server; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
