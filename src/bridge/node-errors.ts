/**
 * Errors shaped like the ones Node's own `ServerResponse` produces (same
 * `code`, class and message), so code that branches on `err.code` behaves the
 * same over the bridge as on `node:http`.
 */

function withCode<E extends Error>(error: E, code: string): E & { code: string } {
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return error as E & { code: string };
}

export function writeAfterEnd(): Error {
  return withCode(new Error('write after end'), 'ERR_STREAM_WRITE_AFTER_END');
}

export function streamDestroyed(method: string): Error {
  return withCode(new Error(`Cannot call ${method} after a stream was destroyed`), 'ERR_STREAM_DESTROYED');
}

export function alreadyFinished(method: string): Error {
  return withCode(new Error(`Cannot call ${method} after a stream was finished`), 'ERR_STREAM_ALREADY_FINISHED');
}

export function nullValues(): TypeError {
  return withCode(new TypeError('May not write null values to stream'), 'ERR_STREAM_NULL_VALUES');
}

export function invalidChunk(chunk: unknown): TypeError {
  const received = chunk === undefined ? 'undefined' : `type ${typeof chunk}`;
  return withCode(
    new TypeError(`The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. Received ${received}`),
    'ERR_INVALID_ARG_TYPE',
  );
}

/** What Node's http server destroys an unfinished request with when its client leaves. */
export function connectionReset(): Error {
  return withCode(new Error('aborted'), 'ECONNRESET');
}

/** What Node's HTTP parser reports when the connection ends inside a request body. */
export function truncatedRequest(): Error {
  const error = withCode(new Error('Parse Error: Invalid EOF state'), 'HPE_INVALID_EOF_STATE');
  return Object.assign(error, { reason: 'Invalid EOF state' });
}
