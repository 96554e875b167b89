// Public entry point of `pagi`: named re-exports only, grouped by section.

// ---- protocol types
export type * from './protocol/types.js';
export { narrow } from './protocol/types.js';

// ---- errors
export {
  PagiError,
  Disconnected,
  InvalidEvent,
  OutOfOrder,
  UnsupportedScope,
  LifespanStartupFailed,
} from './protocol/errors.js';

// ---- protocol machinery for servers and intermediaries written outside this package
export { createSendValidator } from './protocol/validate.js';
export type { SendValidator, Step, NormalizedSendEvent } from './protocol/validate.js';
export { createConnection } from './protocol/connection.js';
export type { ConnectionController } from './protocol/connection.js';
export { watchedSend, followSend, rejectedSend, afterSend } from './protocol/unawaited.js';
export type { UnawaitedSendSink } from './protocol/unawaited.js';

// ---- PAGI -> Node: run a PAGI app on node:http
export { toNodeListener, toExpress } from './adapter/index.js';
export type { AdapterOptions, Logger, ResponseEndInfo, PagiNodeListener, ToExpressOptions } from './adapter/index.js';

// ---- PAGI WebSocket endpoints on a Node server you keep
export { toUpgradeListener } from './adapter/websocket/index.js';
export type { UpgradeListener, UpgradeListenerOptions } from './adapter/websocket/index.js';

// ---- Express/Connect -> PAGI
export { fromExpress } from './bridge/index.js';
export type { FromExpressOptions, NodeHandler, NextFunction, PagiRequestContext, LifespanHooks } from './bridge/index.js';

// ---- composition
export { mount, cascade, LifespanDeclined } from './compose/index.js';
export type { MountOptions, MountRoutes, CascadeOptions } from './compose/index.js';

// ---- migration: compare a rewrite with the app it replaces, on real traffic
export { shadow, ShadowCandidateFailed } from './compose/index.js';
export type {
  ShadowOptions,
  ShadowedApp,
  ShadowDifference,
  ShadowCandidateError,
  ShadowSide,
  ShadowRequestInfo,
  ShadowMismatch,
  ShadowReport,
  ShadowCounts,
  ShadowSkipReason,
  CandidateLifespanStatus,
} from './compose/index.js';

// ---- development
export { lint, LintError } from './lint/index.js';
export type { LintOptions } from './lint/index.js';
