/**
 * `serve(app, options)`: lifespan startup, then listen; a handle to close it
 * gracefully. With `workers > 1` the calling process becomes a cluster
 * primary (workers.ts) and each worker serves through this same function.
 */
import cluster from 'node:cluster';
import type { App } from '../protocol/types.js';
import { LifespanStartupFailed } from '../protocol/errors.js';
import { sendContinueLazily } from '../adapter/index.js';
import { resolveConfig, type ResolvedConfig, type ServeOptions } from './config.js';
import { startHeartbeat } from './heartbeat.js';
import { createHttpHandler } from './http-handler.js';
import { applyProxyHeaders } from './proxy-headers.js';
import { createRequestLimits, RETRY_AFTER_SECONDS } from './limits.js';
import { listen, urlHost } from './listen.js';
import { createNodeServer, type NodeServer } from './http.js';
import { startLifespan, type Lifespan } from './lifespan.js';
import { handleShutdownSignals, shutDownGracefully } from './shutdown.js';
import { retireGraceMs } from './connection-drain.js';
import { createWebSocketHandler, type WebSocketHandlerOptions } from '../adapter/websocket/index.js';
import type { AccessLog } from './access-log.js';
import { superviseWorkers, workerIdentity, reportToPrimary, onPrimaryShutdown, leaveCluster } from './workers.js';

export interface ServerHandle {
  /** The bound address (`port` is the real one when `0` was asked for); for `uds`, the path and port 0. */
  readonly address: { host: string; port: number };
  /** `http://host:port`, `https://host:port`, or `http+unix://<encoded path>` for `uds`. */
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
  // With reload, even one worker runs in a child: the primary holds the port and swaps children.
  if ((config.workers > 1 || config.reload) && cluster.isPrimary) return superviseWorkers(config);
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
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  // A cluster worker is closed once it has also left the cluster (leaveCluster): whoever exits on
  // `closed` (the CLI does, and so does the worker below) must not drop a connection the primary
  // is still handing it. Exiting first left that client with no answer at all.
  const markClosed = identity.isWorker ? () => leaveCluster().then(resolveClosed) : () => Promise.resolve(resolveClosed());
  // Whoever asks to stop (close(), a signal, the primary) goes through `stop`, which
  // becomes the graceful shutdown once the server listens. Before that the request is
  // remembered, and the startup path ends without listening (stoppedDuringStartup).
  let stopAsked = false;
  // `retiring`: the primary replaces this worker (see onPrimaryShutdown); nothing to it before listening.
  let stop = (_retiring = false): Promise<void> => {
    if (!stopAsked) {
      stopAsked = true;
      log.info('stop requested during startup: lifespan startup finishes first (bounded by its timeout), then shutdown');
    }
    return closed;
  };
  // Installed before lifespan starts: a SIGTERM during startup must not kill the process by the default action.
  const removeSignalHandlers = config.handleSignals ? handleShutdownSignals(() => stop(), log) : () => {};
  if (identity.isWorker) {
    onPrimaryShutdown((retiring) => void stop(retiring));
    // A cluster worker exists to serve: once closed (and out of the cluster) it exits, which its
    // IPC channel would otherwise prevent.
    void closed.then(() => process.exit(process.exitCode ?? 0));
  }

  let lifespan: Lifespan;
  try {
    lifespan = config.lifespan === 'off' ? NO_LIFESPAN : await startLifespan(app, {
      isWorker: identity.isWorker,
      workerNum: identity.workerNum,
      startupTimeout: config.lifespanStartupTimeout,
      shutdownTimeout: config.lifespanShutdownTimeout,
      logger: log,
    });
    if (config.lifespan === 'on' && !lifespan.supported) {
      throw new LifespanStartupFailed('the application does not support the lifespan protocol (lifespan is on)');
    }
  } catch (err) {
    // Startup failed: the failure, not the stop request, decides the exit (serve() rejects).
    removeSignalHandlers();
    throw err;
  }
  if (stopAsked) return stoppedDuringStartup(config, lifespan, closed, markClosed, removeSignalHandlers);

  const state = lifespan.state;
  let stopForMaxRequests = (): void => {};
  const limits =
    config.limitConcurrency > 0 || config.limitMaxRequests > 0
      ? createRequestLimits(config, (count) => {
          log.info(`reached limit-max-requests (${count})${identity.isWorker ? ': asking for a replacement' : ': shutting down gracefully'}`);
          // The request that reached the limit is still being set up: let it register first.
          setImmediate(() => stopForMaxRequests());
        })
      : undefined;
  const http = createHttpHandler(app, config, state, limits);
  const proxyTrust = config.proxyTrust;
  const websocket = createWebSocketHandler({
    app,
    logger: log,
    settings: config.websocket,
    rootPath: config.rootPath,
    state,
    accessLog: websocketAccessLog(config.accessLog),
    adjustScope: proxyTrust && ((scope) => applyProxyHeaders(proxyTrust, scope)),
    admission: limits && { admit: () => limits.admit(), release: () => limits.release(), retryAfterSeconds: RETRY_AFTER_SECONDS },
  });
  const server = createNodeServer(config, http.listener, websocket);
  sendContinueLazily(server, http.listener);

  let bound;
  try {
    bound = await listen(server, config);
  } catch (err) {
    removeSignalHandlers();
    await lifespan.shutdown();
    throw err;
  }

  const url = bound.url;
  log.info(`listening on ${url}${identity.workerNum === undefined ? '' : ` (worker ${identity.workerNum})`}`);

  const stopHeartbeat = startHeartbeat(config.timeoutWorkerHealthcheck);
  let closing: Promise<void> | undefined;
  const shutDown = (retiring: boolean): Promise<void> => {
    stopHeartbeat();
    const idleGraceMs = retiring ? retireGraceMs(config) : 0;
    closing ??= shutDownGracefully({ server, http, websocket, lifespan, config }, { idleGraceMs }).finally(() => {
      removeSignalHandlers();
      return markClosed();
    });
    return closing;
  };
  const close = (): Promise<void> => shutDown(false);
  stop = (retiring = false) => shutDown(retiring);
  // A worker is replaced by the primary (which then asks it to stop); a lone server stops, as uvicorn's does.
  stopForMaxRequests = identity.isWorker ? () => reportToPrimary({ pagi: 'recycle' }) : () => void close();
  const handle: ServerHandle = { address: { host: bound.host, port: bound.port }, url, server, closed, close };
  reportToPrimary({ pagi: 'listening', host: bound.host, port: bound.port, url });
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
  markClosed: () => Promise<void>,
  removeSignalHandlers: () => void,
): Promise<ServerHandle> {
  await lifespan.shutdown();
  config.logger.info('stopped before listening');
  removeSignalHandlers();
  void markClosed();
  const url = config.uds !== undefined ? `${config.tls ? 'https' : 'http'}+unix://${encodeURIComponent(config.uds)}` : `${config.tls ? 'https' : 'http'}://${urlHost(config.host)}:${config.port}`;
  return { address: { host: config.host, port: config.port }, url, server: null, closed, close: () => closed };
}

/** lifespan 'off': the app never sees a lifespan scope. */
const NO_LIFESPAN: Lifespan = { state: {}, supported: false, shutdown: () => Promise.resolve() };

/** One Common Log Format line per WebSocket session (status 101 or the refusal's), when its socket closes. */
function websocketAccessLog(write: AccessLog | undefined): WebSocketHandlerOptions['accessLog'] {
  return write && ((req, status) => write({ req, status, bodyBytes: 0, client: undefined, startedAt: performance.now() }));
}
