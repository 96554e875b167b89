/**
 * Shared test helpers: servers on 127.0.0.1:0 with deadlines, closing that
 * never hangs, and a small deadline utility. Other test folders import these;
 * keep the names stable.
 */
import http from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { App } from '../../src/protocol/types.js';
import { toNodeListener, sendContinueLazily } from '../../src/adapter/index.js';
import type { AdapterOptions, PagiNodeListener } from '../../src/adapter/index.js';

export interface Listening {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
}

/** Listens on 127.0.0.1:0; rejects if that takes longer than `timeoutMs`. */
export function listen(server: NetServer, timeoutMs = 5000): Promise<Listening> {
  return withDeadline(
    new Promise<Listening>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.removeListener('error', reject);
        const { port } = server.address() as AddressInfo;
        resolve({ port, url: `http://127.0.0.1:${port}` });
      });
    }),
    timeoutMs,
    'listen',
  );
}

/** Closes the server, destroying open connections so it cannot hang a test. */
export function closeServer(server: NetServer, timeoutMs = 5000): Promise<void> {
  if (!server.listening) return Promise.resolve();
  const closing = new Promise<void>((resolve) => server.close(() => resolve()));
  (server as http.Server).closeAllConnections?.();
  return withDeadline(closing, timeoutMs, 'closeServer');
}

/** Rejects with a clear message when `promise` has not settled within `ms`. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `predicate` until it holds; rejects after `ms`. */
export async function waitUntil(predicate: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`${what}: not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export interface PagiServer extends Listening {
  server: http.Server;
  listener: PagiNodeListener;
  close(): Promise<void>;
}

/**
 * Serves `app` with `http.createServer(toNodeListener(app, options))` on
 * 127.0.0.1:0, with lazy `100 Continue`.
 */
export async function servePagi(app: App, options?: AdapterOptions): Promise<PagiServer> {
  const listener = toNodeListener(app, options);
  const server = http.createServer(listener);
  sendContinueLazily(server, listener);
  const where = await listen(server);
  return { ...where, server, listener, close: () => closeServer(server) };
}

/** A logger that records what it was given (for "logged once" assertions). */
export function recordingLogger(): {
  errors: Array<{ message: string; error: unknown }>;
  error(message: string, error?: unknown): void;
  warn(message: string, error?: unknown): void;
  info(message: string): void;
  debug(message: string): void;
} {
  const errors: Array<{ message: string; error: unknown }> = [];
  return {
    errors,
    error: (message, error) => errors.push({ message, error }),
    warn: () => {},
    info: () => {},
    debug: () => {},
  };
}
