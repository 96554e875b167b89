/**
 * Errors raised by `TestClient`. Each has a stable `code`; messages say what
 * the app did wrong and, where it is the usual cause, hint at a missing `await`.
 */
import { PagiError } from '../protocol/errors.js';
import type { HeaderPair } from '../protocol/types.js';

/** The app settled without starting any response. */
export class NoResponse extends PagiError {
  constructor(scopeType: string, options?: { cause?: unknown }) {
    super(
      'ERR_PAGI_NO_RESPONSE',
      `the app returned without answering the '${scopeType}' scope (missing await on send?)`,
      options,
    );
  }
}

/** The app settled after starting a response but before its terminal event. */
export class IncompleteResponse extends PagiError {
  readonly state: string;
  constructor(state: string, options?: { cause?: unknown }) {
    const why =
      state === 'streaming'
        ? 'a body with more: true was never followed by a final body (more: false)'
        : state === 'trailers-due'
          ? 'the start promised trailers that were never sent'
          : state === 'open'
            ? 'the stream was never closed (sse.close / websocket.close)'
            : `the response stopped in state '${state}'`;
    super('ERR_PAGI_INCOMPLETE_RESPONSE', `the app returned before completing the response: ${why} (missing await?)`, options);
    this.state = state;
  }
}

/** A WebSocket handshake the app refused (HTTP response, or `websocket.close` before accept = 403). */
export class WebSocketDenied extends PagiError {
  readonly status: number;
  readonly headers: HeaderPair[];
  readonly body: Uint8Array;
  constructor(status: number, headers: HeaderPair[], body: Uint8Array) {
    super('ERR_PAGI_WEBSOCKET_DENIED', `the app refused the WebSocket handshake with ${status}`);
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
  /** The refusal body as UTF-8 text. */
  text(): string {
    return Buffer.from(this.body).toString('utf8');
  }
}

/** Reading from a WebSocket session the app has closed. */
export class WebSocketClosed extends PagiError {
  readonly closeCode: number;
  readonly closeReason: string;
  constructor(code: number, reason: string) {
    super('ERR_PAGI_WEBSOCKET_CLOSED', `the WebSocket was closed by the app (${code}${reason ? ` ${reason}` : ''})`);
    this.closeCode = code;
    this.closeReason = reason;
  }
}

/** `client.sse()` got an ordinary HTTP response instead of `sse.start`. */
export class SSERefused extends PagiError {
  readonly status: number;
  constructor(status: number) {
    super('ERR_PAGI_SSE_REFUSED', `the app refused the event stream with ${status}`);
    this.status = status;
  }
}

/** The app does not support lifespan: it returned or threw before answering startup. */
export class LifespanUnsupported extends PagiError {
  constructor(options?: { cause?: unknown }) {
    super('ERR_PAGI_LIFESPAN_UNSUPPORTED', 'the app returned without answering lifespan.startup', options);
  }
}

/** The app answered `lifespan.shutdown.failed`. */
export class LifespanShutdownFailed extends PagiError {
  constructor(message: string) {
    super('ERR_PAGI_LIFESPAN_SHUTDOWN_FAILED', message);
  }
}

/** A wait of the test client passed its deadline. */
export class TestTimeout extends PagiError {
  constructor(what: string, ms: number) {
    super('ERR_PAGI_TEST_TIMEOUT', `timed out after ${ms} ms waiting for ${what}`);
  }
}
