/**
 * Errors of `pagi/toolkit`. A thrown `HttpError` is an answer: the router
 * (or `handleErrors`) turns it into that response. Each class has a stable
 * `code`.
 */
import { STATUS_CODES } from 'node:http';
import { PagiError } from '../protocol/errors.js';
import type { HeadersInput } from '../protocol/types.js';

/** Options of an `HttpError`. */
export interface HttpErrorOptions {
  /** Extra response headers, e.g. `[['allow', 'GET']]` or `[['www-authenticate', 'Bearer']]`. */
  headers?: HeadersInput;
  /**
   * Whether `message` may reach the client. Default: `true` below 500, `false`
   * from 500 on (the client then reads the standard status text), as in
   * `http-errors`.
   */
  expose?: boolean;
  /** The underlying error, kept for logs, never sent. */
  cause?: unknown;
}

/**
 * An error that is an HTTP answer: `throw new HttpError(404, 'no such user')`.
 * `code` is always `'ERR_PAGI_HTTP'`; `status` says which answer.
 */
export class HttpError extends PagiError {
  /** The response status, 400–599. */
  readonly status: number;
  /** Extra headers for the response. */
  readonly headers: HeadersInput;
  /** Whether `message` is shown to the client (see `HttpErrorOptions.expose`). */
  readonly expose: boolean;

  constructor(status: number, message?: string, options: HttpErrorOptions = {}) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`HttpError: status must be an integer from 400 to 599, got ${String(status)}`);
    }
    super('ERR_PAGI_HTTP', message ?? statusText(status), options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.headers = options.headers ?? [];
    this.expose = options.expose ?? status < 500;
  }
}

/**
 * A body reader was called on a request whose body an earlier reader already
 * consumed as a stream (`readMultipart`), or while another reader is still
 * reading it. Reading twice with the buffering readers is fine: they share
 * the bytes.
 */
export class BodyAlreadyRead extends PagiError {
  constructor(reader: string) {
    super('ERR_PAGI_BODY_ALREADY_READ', `${reader}: the request body was already read as a stream`);
  }
}

/** A cookie that cannot be serialised safely (bad name, value, domain, path, or an injection attempt). */
export class InvalidCookie extends PagiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PAGI_INVALID_COOKIE', message, options);
  }
}

/** The standard reason phrase of `status` (`'Not Found'`), or `'Error'` for an unknown one. */
export function statusText(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}
