/**
 * The connection side of a graceful shutdown: stop accepting, then close the
 * connections that carry no request, either at once (a server that stops)
 * or only after a grace period (a cluster worker being replaced, whose port
 * stays served by its successor).
 *
 * Why a retiring worker needs the grace: Node's cluster primary accepts each
 * connection and hands it to a worker over IPC, round-robin. A connection
 * that reached the worker just before it stopped has usually not delivered
 * its request head yet (it is in flight behind the handover), and to Node's
 * HTTP server such a connection is idle: `server.close()` and
 * `closeIdleConnections()` destroy it, and the client, whose request is
 * already sent, sees ECONNRESET. Closing only the listener keeps it: the
 * worker's round-robin handle tells the primary at once, which stops handing
 * it connections (any already on their way are bounced back to the primary
 * and go to another worker), and the connections the worker holds get their
 * request answered, with `Connection: close` since the HTTP handler is
 * shutting down.
 */
import net from 'node:net';
import type { ResolvedConfig } from './config.js';
import type { HttpHandler } from './http-handler.js';
import type { NodeServer } from './http.js';

/** How often idle keep-alive connections are closed while draining. */
const SWEEP_MS = 50;

/**
 * Stops accepting connections. Resolves on the server's 'close', that is
 * once every connection it accepted is gone too.
 *
 * With `keepIdle`, connections without a request in progress stay open:
 * `net.Server`'s own `close()` runs, not `http.Server`'s, which (Node ≥ 19)
 * first closes every idle connection, fresh ones included. That also leaves
 * Node's headers/request timeout checks running for the connections still
 * open (their interval is unref'd; the worker exits after the drain).
 */
export function stopListening(server: NodeServer, keepIdle: boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    if (keepIdle) net.Server.prototype.close.call(server, () => resolve());
    else server.close(() => resolve());
  });
}

export interface IdleSweep {
  /** Resolves when the grace is over (at once without one). */
  readonly graceOver: Promise<void>;
  stop(): void;
}

/**
 * While draining, every `SWEEP_MS`: `http.shutdown()` again (it ends SSE
 * streams that started meanwhile) and, once `graceMs` has passed, closes the
 * idle connections, which would otherwise wait for their keep-alive timeout.
 * Until then an idle connection stays open: a fresh one gets its first
 * request served, a kept-alive one its next, each answered with
 * `Connection: close` (HTTP lets a client retry a request that races the
 * close of an idle connection, but one answered needs no retry).
 */
export function sweepIdleConnections(server: NodeServer, http: HttpHandler, graceMs: number): IdleSweep {
  let closeIdle = graceMs <= 0;
  if (closeIdle) server.closeIdleConnections();
  let graceTimer: NodeJS.Timeout | undefined;
  const graceOver = closeIdle
    ? Promise.resolve()
    : new Promise<void>((resolve) => {
        graceTimer = setTimeout(() => {
          closeIdle = true;
          server.closeIdleConnections();
          resolve();
        }, graceMs);
      });
  const sweep = setInterval(() => {
    if (closeIdle) server.closeIdleConnections();
    http.shutdown();
  }, SWEEP_MS);
  return {
    graceOver,
    stop() {
      clearTimeout(graceTimer);
      clearInterval(sweep);
    },
  };
}

/**
 * The grace a retiring worker gives connections that carry no request: the
 * keep-alive timeout (a kept-alive client would be dropped then anyway),
 * never more than the headers timeout or the graceful-shutdown period.
 */
export function retireGraceMs(config: ResolvedConfig): number {
  const bounds = [config.timeoutKeepAlive, config.headersTimeout].filter((seconds) => seconds > 0);
  return Math.min(config.gracefulTimeout, ...bounds) * 1000;
}
