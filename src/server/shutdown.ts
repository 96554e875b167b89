/**
 * Graceful shutdown of one server process, in the order the issue and
 * PROTOCOL.md §9.2 ask for: stop accepting, end SSE streams and close
 * WebSockets, let in-flight HTTP finish within the grace period, then the
 * lifespan shutdown (connection-drain.ts closes the listener and the idle
 * connections). Also the signal handling (second signal forces exit).
 */
import type { ResolvedConfig } from './config.js';
import type { HttpHandler } from './http-handler.js';
import type { NodeServer } from './http.js';
import type { Lifespan } from './lifespan.js';
import type { Logger } from './logger.js';
import type { WebSocketHandler } from '../adapter/websocket/index.js';
import { stopListening, sweepIdleConnections } from './connection-drain.js';

export interface ServerParts {
  server: NodeServer;
  http: HttpHandler;
  websocket: WebSocketHandler;
  lifespan: Lifespan;
  config: ResolvedConfig;
}

/** Once everything is cut, this bounds the wait for the sockets to go. */
const FORCE_CLOSE_MS = 2000;

export interface ShutdownOptions {
  /**
   * Milliseconds connections without a request in progress stay open (0:
   * closed at once). A replaced cluster worker uses `retireGraceMs()`, so
   * what the primary handed it just before it stopped is still answered.
   */
  idleGraceMs?: number;
}

export async function shutDownGracefully(parts: ServerParts, options: ShutdownOptions = {}): Promise<void> {
  const { server, http, websocket, lifespan, config } = parts;
  const log = config.logger;
  const graceMs = options.idleGraceMs ?? 0;
  const serverClosed = stopListening(server, graceMs > 0);
  http.shutdown();
  const websocketsClosed = websocket.shutdown();
  // A keep-alive connection that finished its last response would otherwise wait for its idle timeout.
  const sweep = sweepIdleConnections(server, http, graceMs);
  // During the grace an idle connection may still bring a request: wait for it, or for every connection to go.
  const connectionsSettled = graceMs > 0 ? Promise.race([serverClosed, sweep.graceOver]) : undefined;
  const drained = await within(Promise.all([http.idle(), websocketsClosed, connectionsSettled]), config.gracefulTimeout * 1000);
  sweep.stop();
  if (!drained) {
    log.warn(
      `shutdown: grace period of ${config.gracefulTimeout}s over; cutting ${http.inFlight} request(s) and ${websocket.size} WebSocket(s)`,
    );
    websocket.destroy();
  }
  // Whatever is left has no response in flight (or ran out of time): idle keep-alives and
  // clients still sending a request head, which would otherwise hold server.close() open.
  server.closeAllConnections();
  await within(serverClosed, FORCE_CLOSE_MS);
  await lifespan.shutdown();
  log.info('shutdown complete');
}

/** Resolves true when `promise` settled within `ms`, false otherwise. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * First SIGTERM/SIGINT: run the graceful shutdown `begin()` returns, then
 * exit the process (lingering handles must not keep a stopped server alive).
 * A second signal while it runs exits at once. Returns the function that
 * removes the handlers.
 */
export function handleShutdownSignals(begin: () => Promise<void>, logger: Logger): () => void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      logger.warn(`${signal} received again: exiting now`);
      process.exit(SIGNAL_EXIT[signal] ?? 1);
    }
    received = true;
    logger.info(`${signal} received: shutting down gracefully (send it again to force)`);
    void begin().then(() => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
  };
}
