/**
 * The response-side extensions' checks for the send validator
 * (docs/protocol.md#extensions): `reason_phrase` (a reason phrase on
 * `http.response.start`), `header_case` (its headers' wire spelling), `final_informational` (a final 1xx status) and
 * `late_trailers` (trailers after a streamed body nobody promised), and
 * `advertises`, the one lookup of `scope.extensions` every extension's
 * event uses. Each is read only when an event uses it, so the common path
 * looks nothing up.
 */
import { InvalidEvent, OutOfOrder } from './errors.js';
import type { HeaderPair, Scope } from './types.js';

/** True when the server advertises `name` in `scope.extensions`. */
export function advertises(scope: Scope, name: string): boolean {
  const extensions = (scope as { extensions?: Record<string, unknown> }).extensions;
  return extensions !== undefined && extensions !== null && extensions[name] !== undefined;
}

// Node's `checkInvalidHeaderChar`, which `writeHead` applies to the status
// message (ERR_INVALID_CHAR): tab, visible ASCII, space and obs-text only.
const INVALID_REASON_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

/** `reason` of `http.response.start`: a string Node's `writeHead` accepts, only under `reason_phrase`. */
export function checkReason(scope: Scope, type: string, reason: unknown): string {
  if (!advertises(scope, 'reason_phrase')) {
    throw new InvalidEvent(type, 'reason', 'needs the reason_phrase extension, which is not advertised in scope.extensions');
  }
  if (typeof reason !== 'string') throw new InvalidEvent(type, 'reason', `must be a string, got ${typeof reason}`);
  const bad = INVALID_REASON_CHAR.exec(reason);
  if (bad !== null) {
    const code = (bad[0].codePointAt(0) as number).toString(16).padStart(2, '0');
    throw new InvalidEvent(type, 'reason', `must not contain U+${code.toUpperCase()} (CR, LF, controls and chars above U+00FF are refused, as by Node's writeHead)`);
  }
  return reason;
}

/**
 * `header_names` of `http.response.start` (under `header_case`): the wire
 * spelling of each header's name, by index, each the same name in any case.
 * Returns a copy (the head may be held until the first body).
 */
export function checkHeaderNames(scope: Scope, type: string, names: unknown, headers: readonly HeaderPair[]): string[] {
  if (!advertises(scope, 'header_case')) {
    throw new InvalidEvent(type, 'header_names', 'needs the header_case extension, which is not advertised in scope.extensions');
  }
  if (!Array.isArray(names) || names.length !== headers.length) {
    throw new InvalidEvent(type, 'header_names', `must be an array of ${headers.length} names, one per header`);
  }
  const out: string[] = new Array(names.length);
  for (let i = 0; i < names.length; i++) {
    const name: unknown = names[i];
    const expected = (headers[i] as HeaderPair)[0];
    if (typeof name !== 'string' || name.toLowerCase() !== expected) {
      throw new InvalidEvent(type, `header_names[${i}]`, `must spell '${expected}' (in any case), got ${JSON.stringify(name)}`);
    }
    out[i] = name;
  }
  return out;
}

/**
 * A final status below 200 on an `http` scope: 100 and 102–199 under
 * `final_informational`. 101 never: a 101 head without a real upgrade would
 * tell the client (and any proxy in between) that the connection now speaks
 * another protocol while the server still parses HTTP on it — a desync the
 * WebSocket path exists to do safely.
 */
export function checkFinalInformational(scope: Scope, type: string, status: number): void {
  if (status >= 100 && status <= 199 && status !== 101 && advertises(scope, 'final_informational')) return;
  const why =
    status === 101
      ? ' (101 is only sent by the server for an accepted upgrade)'
      : status >= 100 && status <= 199
        ? ' (a final 1xx status needs the final_informational extension, which is not advertised in scope.extensions)'
        : '';
  throw new InvalidEvent(type, 'status', `must be an integer from 200 to 999, got ${status}${why}`);
}

/**
 * `http.response.trailers` without `trailers: true` on the start: allowed
 * under `late_trailers` while the body is still open (`started`,
 * `streaming`) and the start set no `content-length` (a length-framed body
 * has nowhere to put trailers).
 */
export function checkLateTrailers(scope: Scope, state: string, start: readonly HeaderPair[] | undefined, expected: string): void {
  const type = 'http.response.trailers';
  if (!advertises(scope, 'late_trailers')) {
    throw new OutOfOrder(type, state, 'a start with trailers: true first (or the late_trailers extension)');
  }
  if (state !== 'started' && state !== 'streaming') throw new OutOfOrder(type, state, expected);
  if (start !== undefined && start.some((pair) => pair[0] === 'content-length')) {
    throw new OutOfOrder(type, state, 'no trailers: the response is framed by content-length');
  }
}
