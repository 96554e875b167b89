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
