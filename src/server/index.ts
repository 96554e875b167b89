// pagi/server: run a PAGI app on a real server (HTTP, SSE, WebSocket, lifespan,
// graceful shutdown, workers, TLS). The `pagi-server` CLI lives in cli.ts.

export { serve } from './serve.js';
export { startIpcRelay } from './ipc-relay.js';
export type { ServerHandle } from './serve.js';
export type { ServeOptions } from './config.js';
export type { LogLevel, Logger } from './logger.js';
export { InvalidOption, ListenFailed, AppLoadFailed, WorkersFailed } from './errors.js';
export { LifespanStartupFailed } from '../protocol/errors.js';
