/**
 * `serve()` options, their defaults and their checks. The CLI maps every flag
 * onto these, so both entry points share one definition.
 */
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { InvalidOption } from './errors.js';
import { createLogger, isLogLevel, type LogLevel, type Logger } from './logger.js';
import { resolveHttp2Options, type Http2Options, type ResolvedHttp2Options } from './http2/options.js';

export interface ServeOptions {
  /** Interface to bind. Default `'127.0.0.1'`. */
  host?: string;
  /** Port to bind; `0` picks a free one. Default `8000`. */
  port?: number;
  /**
   * Worker processes (node:cluster). Default `1`: serve in this process.
   * With more, the calling script is re-run in each worker (the cluster
   * pattern), where `serve()` serves; the primary supervises.
   */
  workers?: number;
  /** Serve HTTPS/WSS: at least `key` and `cert` (PEM), passed to `https.createServer`. */
  tls?: TlsOptions & SecureContextOptions;
  /** Decoded mount prefix reported as `root_path` (e.g. behind a proxy that strips it). Default `''`. */
  rootPath?: string;
  /** Largest request body in bytes; `0` = unlimited (the default). Larger: 413 / `body_too_large`. */
  maxBodySize?: number;
  /** Largest request head in bytes (Node's `maxHeaderSize`; above it: 431). Default 16 KiB. */
  maxHeaderSize?: number;
  /** Seconds an idle keep-alive connection stays open. Default 5. */
  timeoutKeepAlive?: number;
  /** Seconds a client has to send the request head. Default 60. */
  headersTimeout?: number;
  /** Seconds a client has to send the whole request. Default 300; 0 = none. */
  requestTimeout?: number;
  /**
   * Seconds one HTTP or SSE `send()` may wait for a client that does not read
   * before the scope ends with `write_timeout` (connection destroyed, the
   * send rejects with `Disconnected`). Default 0: no limit. WebSockets use
   * `websocket.sendTimeout`.
   */
  sendTimeout?: number;
  /** Seconds in-flight requests get to finish on shutdown before connections are cut. Default 30. */
  gracefulTimeout?: number;
  /** Seconds to wait for lifespan startup / shutdown answers. Default 30 each. */
  lifespanStartupTimeout?: number;
  lifespanShutdownTimeout?: number;
  /** Common-log-format access log: `true` writes to stdout, a function gets each line. Default off. */
  accessLog?: boolean | ((line: string) => void);
  /** Level of the default logger. Default `'warn'` (the CLI uses `'info'`). */
  logLevel?: LogLevel;
  /** Replaces the default stderr logger. */
  logger?: Logger;
  /**
   * On SIGTERM/SIGINT shut down gracefully, then exit the process; a second
   * signal exits at once. Default false (the CLI: true).
   */
  handleSignals?: boolean;
  /**
   * Serve HTTP/2 as well as HTTP/1.1 on the same port: with `tls`, by ALPN
   * (`h2`, HTTP/1.1 for other clients); without, h2c with prior knowledge.
   * `true` for the defaults, or the limits. Default off.
   */
  http2?: boolean | Http2Options;
  /** WebSocket limits. */
  websocket?: {
    /** Largest inbound message in bytes (1009 above it). Default 16 MiB. */
    maxMessageSize?: number;
    /** Inbound messages queued while the app is not reading (1008 above it). Default 1000. */
    maxQueue?: number;
    /** Seconds to wait for the peer's Close after ours. Default 10. */
    closeTimeout?: number;
    /** Seconds a send may wait for a slow client before the session ends (`write_timeout`). Default 60; 0 = none. */
    sendTimeout?: number;
  };
}

export interface ResolvedConfig {
  host: string;
  port: number;
  workers: number;
  tls: (TlsOptions & SecureContextOptions) | undefined;
  rootPath: string;
  maxBodySize: number;
  maxHeaderSize: number;
  timeoutKeepAlive: number;
  headersTimeout: number;
  requestTimeout: number;
  sendTimeout: number;
  gracefulTimeout: number;
  lifespanStartupTimeout: number;
  lifespanShutdownTimeout: number;
  accessLog: ((line: string) => void) | undefined;
  logger: Logger;
  handleSignals: boolean;
  websocket: { maxMessageSize: number; maxQueue: number; closeTimeout: number; sendTimeout: number };
  /** `undefined`: HTTP/1.1 only. */
  http2: ResolvedHttp2Options | undefined;
}

export function resolveConfig(options: ServeOptions = {}): ResolvedConfig {
  const logLevel = options.logLevel ?? 'warn';
  if (!isLogLevel(logLevel)) throw new InvalidOption('logLevel', `must be debug, info, warn, error or silent, got ${String(logLevel)}`);
  const ws = options.websocket ?? {};
  const tls = options.tls;
  if (tls !== undefined && (tls.key === undefined || tls.cert === undefined) && tls.pfx === undefined) {
    throw new InvalidOption('tls', 'needs both key and cert');
  }
  const rootPath = options.rootPath ?? '';
  if (typeof rootPath !== 'string' || (rootPath !== '' && (!rootPath.startsWith('/') || rootPath.endsWith('/')))) {
    throw new InvalidOption('rootPath', `must be '' or start with '/' and not end with '/', got ${JSON.stringify(rootPath)}`);
  }
  const accessLog = options.accessLog;
  const maxHeaderSize = integer('maxHeaderSize', options.maxHeaderSize, 16 * 1024, 1);
  return {
    host: options.host ?? '127.0.0.1',
    port: integer('port', options.port, 8000, 0, 65535),
    workers: integer('workers', options.workers, 1, 1, 1024),
    tls,
    rootPath,
    maxBodySize: integer('maxBodySize', options.maxBodySize, 0, 0),
    maxHeaderSize,
    timeoutKeepAlive: seconds('timeoutKeepAlive', options.timeoutKeepAlive, 5),
    headersTimeout: seconds('headersTimeout', options.headersTimeout, 60),
    requestTimeout: seconds('requestTimeout', options.requestTimeout, 300),
    sendTimeout: seconds('sendTimeout', options.sendTimeout, 0),
    gracefulTimeout: seconds('gracefulTimeout', options.gracefulTimeout, 30),
    lifespanStartupTimeout: seconds('lifespanStartupTimeout', options.lifespanStartupTimeout, 30),
    lifespanShutdownTimeout: seconds('lifespanShutdownTimeout', options.lifespanShutdownTimeout, 30),
    accessLog: accessLog === true ? writeStdout : typeof accessLog === 'function' ? accessLog : undefined,
    logger: options.logger ?? createLogger(logLevel),
    handleSignals: options.handleSignals ?? false,
    websocket: {
      maxMessageSize: integer('websocket.maxMessageSize', ws.maxMessageSize, 16 * 1024 * 1024, 1),
      maxQueue: integer('websocket.maxQueue', ws.maxQueue, 1000, 1),
      closeTimeout: seconds('websocket.closeTimeout', ws.closeTimeout, 10),
      sendTimeout: seconds('websocket.sendTimeout', ws.sendTimeout, 60),
    },
    http2: resolveHttp2Options(options.http2, maxHeaderSize),
  };
}

function integer(name: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOption(name, `must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function seconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOption(name, `must be a non-negative number of seconds, got ${String(value)}`);
  }
  return value;
}

function writeStdout(line: string): void {
  process.stdout.write(`${line}\n`);
}
