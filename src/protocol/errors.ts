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
    super('ERR_PAGI_DISCONNECTED', message ?? `${DISCONNECT_TEXT[reason] ?? 'the connection ended'} (${reason})`);
    this.reason = reason;
  }
}

// What each §7.3 token means, so a message never blames a client who never left.
const DISCONNECT_TEXT: Record<string, string> = {
  client_closed: 'client disconnected',
  client_timeout: 'the client stopped sending in time',
  idle_timeout: 'the connection was idle too long',
  keepalive_timeout: 'the client stopped answering keepalives',
  close_timeout: 'the peer did not complete the closing handshake',
  close_incomplete: 'the transport did not finish closing',
  write_timeout: 'the client did not read the response in time',
  write_error: 'writing to the client failed',
  read_error: 'reading from the client failed',
  protocol_error: 'the client broke the protocol',
  server_shutdown: 'the server is shutting down',
  server_error: 'the server ended the scope: the app failed or returned before completing its response',
  body_too_large: 'the request body exceeded the limit',
  queue_overflow: 'a server queue overflowed',
  app_abort: 'the app aborted the connection',
};

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
