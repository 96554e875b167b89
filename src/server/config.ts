/**
 * `serve()` options, their defaults and their checks. The CLI maps every flag
 * onto these, so both entry points share one definition.
 */
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { InvalidOption } from './errors.js';
import { createLogger, isLogLevel, type LogFormat, type LogLevel, type Logger } from './logger.js';
import { createAccessLog, type AccessLog, type AccessLogFormat } from './access-log.js';
import { createProxyTrust, type ProxyTrust } from './proxy-headers.js';
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
  /**
   * Seconds in-flight requests get to finish on shutdown before connections
   * are cut (CLI `--timeout-graceful-shutdown`). Default 30.
   */
  gracefulTimeout?: number;
  /**
   * Run the `lifespan` scope: `'auto'` (default) runs it and carries on
   * without it when the app does not support it; `'on'` requires it (an app
   * that declines or fails it stops the server); `'off'` never runs it.
   */
  lifespan?: 'auto' | 'on' | 'off';
  /** Seconds to wait for lifespan startup / shutdown answers. Default 30 each. */
  lifespanStartupTimeout?: number;
  lifespanShutdownTimeout?: number;
  /** Access log: `true` writes to stdout, a function gets each line. Default off. */
  accessLog?: boolean | ((line: string) => void);
  /** Access log lines: `'common'` (CLF, the default), `'combined'` (+ referer and user agent) or `'json'`. */
  accessLogFormat?: AccessLogFormat;
  /** Level of the default logger. Default `'warn'` (the CLI uses `'info'`). */
  logLevel?: LogLevel;
  /** The default logger's lines: `'text'` (default) or `'json'` (one object per line: time, level, message). */
  logFormat?: LogFormat;
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
  /**
   * Trust `Forwarded` / `X-Forwarded-For` / `X-Forwarded-Proto` from the
   * peers in `forwardedAllowIps`: they set `scope.client` and `scheme`.
   * Default false (headers are the app's to read).
   */
  proxyHeaders?: boolean;
  /** Trusted proxies for `proxyHeaders`: addresses, CIDRs or `'*'`. Default `'127.0.0.1'`. */
  forwardedAllowIps?: string | string[];
  /** Open requests plus WebSockets beyond which new ones get 503 with `Retry-After`. Default 0: no limit. */
  limitConcurrency?: number;
  /**
   * Requests (and WebSocket sessions) after which this process stops
   * accepting and shuts down gracefully; a worker is replaced by a fresh one.
   * Default 0: never.
   */
  limitMaxRequests?: number;
  /** Up to this many extra requests, drawn at random per process, so workers do not all recycle at once. Default 0. */
  limitMaxRequestsJitter?: number;
  /** Length of the kernel's queue of connections not yet accepted (`listen` backlog). Default 2048. */
  backlog?: number;
  /** Listen on this Unix socket path instead of host:port. */
  uds?: string;
  /** File mode given to the `uds` socket, e.g. `0o660`. Default: left to the umask. */
  udsMode?: number;
  /** Listen on an already-listening socket inherited as this file descriptor (systemd, a supervisor). */
  fd?: number;
  /**
   * Workers only: seconds a worker's event loop may stay blocked (no
   * heartbeat reaches the primary) before the worker is killed and
   * replaced. Default 5; 0 = never.
   */
  timeoutWorkerHealthcheck?: number;
  /**
   * Restart on code changes (development): the app runs in a child worker
   * that is replaced when a file under `reloadDirs` changes; the port stays
   * bound. Default false.
   */
  reload?: boolean;
  /** Directories watched by `reload`. Default: the current directory. */
  reloadDirs?: string[];
  /** WebSocket limits. */
  websocket?: {
    /** Largest inbound message in bytes (1009 above it; CLI `--ws-max-size`). Default 16 MiB. */
    maxMessageSize?: number;
    /** Inbound messages queued while the app is not reading (1008 above it). Default 1000. */
    maxQueue?: number;
    /** Seconds to wait for the peer's Close after ours. Default 10. */
    closeTimeout?: number;
    /** Seconds a send may wait for a slow client before the session ends (`write_timeout`). Default 60; 0 = none. */
    sendTimeout?: number;
    /** Seconds between server pings on every open WebSocket (CLI `--ws-ping-interval`). Default 0: none. */
    pingInterval?: number;
    /** Seconds a pong may take before the session ends with `keepalive_timeout` (CLI `--ws-ping-timeout`). Default 0: no deadline. */
    pingTimeout?: number;
    /** Negotiate permessage-deflate with clients that offer it (CLI `--ws-per-message-deflate`). Default false. */
    perMessageDeflate?: boolean;
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
  lifespan: 'auto' | 'on' | 'off';
  lifespanStartupTimeout: number;
  lifespanShutdownTimeout: number;
  accessLog: AccessLog | undefined;
  logger: Logger;
  handleSignals: boolean;
  /** `undefined` unless `proxyHeaders`. */
  proxyTrust: ProxyTrust | undefined;
  limitConcurrency: number;
  limitMaxRequests: number;
  limitMaxRequestsJitter: number;
  backlog: number;
  uds: string | undefined;
  udsMode: number | undefined;
  fd: number | undefined;
  timeoutWorkerHealthcheck: number;
  reload: boolean;
  reloadDirs: string[];
  websocket: {
    maxMessageSize: number;
    maxQueue: number;
    closeTimeout: number;
    sendTimeout: number;
    pingInterval: number;
    pingTimeout: number;
    perMessageDeflate: boolean;
  };
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
  const lifespan = options.lifespan ?? 'auto';
  if (lifespan !== 'auto' && lifespan !== 'on' && lifespan !== 'off') {
    throw new InvalidOption('lifespan', `must be auto, on or off, got ${String(lifespan)}`);
  }
  const logFormat = options.logFormat ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json') throw new InvalidOption('logFormat', `must be text or json, got ${String(logFormat)}`);
  const accessLogFormat = options.accessLogFormat ?? 'common';
  if (accessLogFormat !== 'common' && accessLogFormat !== 'combined' && accessLogFormat !== 'json') {
    throw new InvalidOption('accessLogFormat', `must be common, combined or json, got ${String(accessLogFormat)}`);
  }
  const listenOn = [options.uds !== undefined, options.fd !== undefined].filter(Boolean).length;
  if (listenOn > 1) throw new InvalidOption('uds', 'and fd cannot be used together');
  if (options.uds !== undefined && (typeof options.uds !== 'string' || options.uds === '')) {
    throw new InvalidOption('uds', `must be a socket path, got ${String(options.uds)}`);
  }
  const lineWriter = accessLog === true ? writeStdout : typeof accessLog === 'function' ? accessLog : undefined;
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
    lifespan,
    lifespanStartupTimeout: seconds('lifespanStartupTimeout', options.lifespanStartupTimeout, 30),
    lifespanShutdownTimeout: seconds('lifespanShutdownTimeout', options.lifespanShutdownTimeout, 30),
    accessLog: lineWriter === undefined ? undefined : createAccessLog(accessLogFormat, lineWriter),
    logger: options.logger ?? createLogger(logLevel, undefined, undefined, logFormat),
    handleSignals: options.handleSignals ?? false,
    proxyTrust: options.proxyHeaders === true ? createProxyTrust(options.forwardedAllowIps ?? '127.0.0.1') : undefined,
    limitConcurrency: integer('limitConcurrency', options.limitConcurrency, 0, 0),
    limitMaxRequests: integer('limitMaxRequests', options.limitMaxRequests, 0, 0),
    limitMaxRequestsJitter: integer('limitMaxRequestsJitter', options.limitMaxRequestsJitter, 0, 0),
    backlog: integer('backlog', options.backlog, 2048, 1),
    uds: options.uds,
    udsMode: options.udsMode === undefined ? undefined : integer('udsMode', options.udsMode, 0, 0, 0o777),
    fd: options.fd === undefined ? undefined : integer('fd', options.fd, 0, 0),
    timeoutWorkerHealthcheck: seconds('timeoutWorkerHealthcheck', options.timeoutWorkerHealthcheck, 5),
    reload: options.reload ?? false,
    reloadDirs: options.reloadDirs ?? [],
    websocket: {
      maxMessageSize: integer('websocket.maxMessageSize', ws.maxMessageSize, 16 * 1024 * 1024, 1),
      maxQueue: integer('websocket.maxQueue', ws.maxQueue, 1000, 1),
      closeTimeout: seconds('websocket.closeTimeout', ws.closeTimeout, 10),
      sendTimeout: seconds('websocket.sendTimeout', ws.sendTimeout, 60),
      pingInterval: seconds('websocket.pingInterval', ws.pingInterval, 0),
      pingTimeout: seconds('websocket.pingTimeout', ws.pingTimeout, 0),
      perMessageDeflate: ws.perMessageDeflate === true,
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
