/**
 * `serve(app, options)`: lifespan startup, then listen; a handle to close it
 * gracefully. With `workers > 1` the calling process becomes a cluster
 * primary (workers.ts) and each worker serves through this same function.
 */
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import type { App } from '../protocol/types.js';
import { sendContinueLazily } from '../adapter/index.js';
import { resolveConfig, type ResolvedConfig, type ServeOptions } from './config.js';
import { ListenFailed } from './errors.js';
import { createHttpHandler } from './http-handler.js';
import { createNodeServer, type NodeServer } from './http.js';
import { startLifespan, type Lifespan } from './lifespan.js';
import { handleShutdownSignals, shutDownGracefully } from './shutdown.js';
import { createWebSocketHandler, type WebSocketHandlerOptions } from '../adapter/websocket/index.js';
import { accessLogLine } from './access-log.js';
import { superviseWorkers, workerIdentity, reportToPrimary, onPrimaryShutdown } from './workers.js';

export interface ServerHandle {
  /** The bound address (`port` is the real one when `0` was asked for). */
  readonly address: { host: string; port: number };
  /** `http://host:port` or `https://host:port`. */
  readonly url: string;
  /**
   * The Node server; `null` in the primary of a multi-worker server (the
   * workers own theirs), and when a stop came during lifespan startup (nothing listened).
   */
  readonly server: NodeServer | null;
  /** Resolves once the server has stopped: after `close()`, a signal, or (primary) when every worker is gone. */
  readonly closed: Promise<void>;
  /** Graceful shutdown (idempotent): resolves when connections are drained and lifespan shutdown ran. */
  close(): Promise<void>;
}

/**
 * Runs lifespan startup, then listens. Rejects with `LifespanStartupFailed`
 * when the app sends `lifespan.startup.failed` (nothing listens then),
 * `ListenFailed` when the address cannot be bound, `InvalidOption` for bad options.
 */
export async function serve(app: App, options: ServeOptions = {}): Promise<ServerHandle> {
  if (typeof app !== 'function') throw new TypeError('serve(app): app must be a function');
  const config = resolveConfig(options);
  if (config.workers > 1 && cluster.isPrimary) return superviseWorkers(config);
  try {
    return await serveInProcess(app, config);
  } catch (err) {
    reportToPrimary({ pagi: 'fatal', message: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}

async function serveInProcess(app: App, config: ResolvedConfig): Promise<ServerHandle> {
  const log = config.logger;
  const identity = workerIdentity();
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  // Whoever asks to stop (close(), a signal, the primary) goes through `stop`, which
  // becomes the graceful shutdown once the server listens. Before that the request is
  // remembered, and the startup path ends without listening (stoppedDuringStartup).
  let stopAsked = false;
  let stop = (): Promise<void> => {
    if (!stopAsked) {
      stopAsked = true;
      log.info('stop requested during startup: lifespan startup finishes first (bounded by its timeout), then shutdown');
    }
    return closed;
  };
  // Installed before lifespan starts: a SIGTERM during startup must not kill the process by the default action.
  const removeSignalHandlers = config.handleSignals ? handleShutdownSignals(() => stop(), log) : () => {};
  if (identity.isWorker) {
    onPrimaryShutdown(() => void stop());
    // A cluster worker exists to serve: once its server is closed it leaves (its IPC channel would keep it alive).
    void closed.then(() => process.exit(process.exitCode ?? 0));
  }

  let lifespan;
  try {
    lifespan = await startLifespan(app, {
      isWorker: identity.isWorker,
      workerNum: identity.workerNum,
      startupTimeout: config.lifespanStartupTimeout,
      shutdownTimeout: config.lifespanShutdownTimeout,
      logger: log,
    });
  } catch (err) {
    // Startup failed: the failure, not the stop request, decides the exit (serve() rejects).
    removeSignalHandlers();
    throw err;
  }
  if (stopAsked) return stoppedDuringStartup(config, lifespan, closed, markClosed, removeSignalHandlers);

  const state = lifespan.state;
  const http = createHttpHandler(app, config, state);
  const websocket = createWebSocketHandler({
    app,
    logger: log,
    settings: config.websocket,
    rootPath: config.rootPath,
    state,
    accessLog: websocketAccessLog(config.accessLog),
  });
  const server = createNodeServer(config, http.listener, websocket);
  sendContinueLazily(server, http.listener);

  try {
    await listen(server, config);
  } catch (err) {
    removeSignalHandlers();
    await lifespan.shutdown();
    throw err;
  }

  const bound = server.address() as AddressInfo;
  const url = `${config.tls ? 'https' : 'http'}://${urlHost(bound.address)}:${bound.port}`;
  log.info(`listening on ${url}${identity.workerNum === undefined ? '' : ` (worker ${identity.workerNum})`}`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= shutDownGracefully({ server, http, websocket, lifespan, config }).finally(() => {
      removeSignalHandlers();
      markClosed();
    });
    return closing;
  };
  stop = close;
  const handle: ServerHandle = { address: { host: bound.address, port: bound.port }, url, server, closed, close };
  reportToPrimary({ pagi: 'listening', host: bound.address, port: bound.port, url });
  // Asked to stop while listen() was under way.
  if (stopAsked) void close();
  return handle;
}

/**
 * A stop asked for during lifespan startup: startup has finished, so the app
 * gets its lifespan shutdown, nothing ever listens, and serve() resolves with
 * a handle that is already closed (a signal handler then exits with 0).
 */
async function stoppedDuringStartup(
  config: ResolvedConfig,
  lifespan: Lifespan,
  closed: Promise<void>,
  markClosed: () => void,
  removeSignalHandlers: () => void,
): Promise<ServerHandle> {
  await lifespan.shutdown();
  config.logger.info('stopped before listening');
  removeSignalHandlers();
  markClosed();
  const url = `${config.tls ? 'https' : 'http'}://${urlHost(config.host)}:${config.port}`;
  return { address: { host: config.host, port: config.port }, url, server: null, closed, close: () => closed };
}

function listen(server: NodeServer, config: ResolvedConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.removeListener('listening', onListening);
      reject(listenError(err, config));
    };
    const onListening = () => {
      server.removeListener('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(config.port, config.host);
  });
}

function listenError(err: NodeJS.ErrnoException, config: ResolvedConfig): ListenFailed {
  const where = `${urlHost(config.host)}:${config.port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return new ListenFailed(`cannot listen on ${where}: the address is already in use`, { cause: err });
    case 'EACCES':
      return new ListenFailed(`cannot listen on ${where}: permission denied`, { cause: err });
    case 'EADDRNOTAVAIL':
      return new ListenFailed(`cannot listen on ${where}: the address is not available on this machine`, { cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ListenFailed(`cannot listen on ${where}: unknown host ${config.host}`, { cause: err });
    default:
      return new ListenFailed(`cannot listen on ${where}: ${err.message}`, { cause: err });
  }
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** One Common Log Format line per WebSocket session (status 101 or the refusal's), when its socket closes. */
function websocketAccessLog(write: ((line: string) => void) | undefined): WebSocketHandlerOptions['accessLog'] {
  return write && ((req, status) => write(accessLogLine(req, status, 0)));
}
