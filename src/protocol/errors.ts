/**
 * Error classes of the protocol (PROTOCOL.md §2.4). Each has a stable `code`
 * so callers can branch without string-matching messages.
 */

/** Base class of every error this package raises on purpose. */
export class PagiError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** `send` on a scope whose client side is gone. `reason` is the §7.3 token. */
export class Disconnected extends PagiError {
  readonly reason: string;
  constructor(reason = 'client_closed', message?: string) {
    super('ERR_PAGI_DISCONNECTED', message ?? `client disconnected (${reason})`);
    this.reason = reason;
  }
}

/** A malformed event: not an object, missing or ill-typed field, unknown type, bad header bytes. */
export class InvalidEvent extends PagiError {
  /** The event type, when the event had a readable one. */
  readonly eventType: string | undefined;
  /** The offending field, when one is to blame. */
  readonly field: string | undefined;
  constructor(eventType: string | undefined, field: string | undefined, problem: string) {
    const where = eventType ?? 'event';
    super('ERR_PAGI_INVALID_EVENT', field ? `${where}: ${field} ${problem}` : `${where}: ${problem}`);
    this.eventType = eventType;
    this.field = field;
  }
}

/** A well-formed event that the current state does not allow. */
export class OutOfOrder extends PagiError {
  readonly eventType: string;
  readonly state: string;
  constructor(eventType: string, state: string, expected: string) {
    super('ERR_PAGI_OUT_OF_ORDER', `${eventType}: not allowed in state '${state}' (expected ${expected})`);
    this.eventType = eventType;
    this.state = state;
  }
}

/** An app was called with a scope type it does not handle. */
export class UnsupportedScope extends PagiError {
  readonly scopeType: string;
  constructor(scopeType: string, component: string) {
    super('ERR_PAGI_UNSUPPORTED_SCOPE', `${component} does not handle '${scopeType}' scopes`);
    this.scopeType = scopeType;
  }
}

/** Lifespan startup failed (the app sent `lifespan.startup.failed`, or timed out). */
export class LifespanStartupFailed extends PagiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PAGI_LIFESPAN_STARTUP_FAILED', message, options);
  }
}

/** Describes a value's type for error messages: `number`, `null`, `array`, `Buffer`... */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return 'Uint8Array';
  return typeof value;
}
