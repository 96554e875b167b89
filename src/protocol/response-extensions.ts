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
import { INVALID_FIELD_CHAR, TOKEN } from './headers.js';
import type { HeaderPair, Scope } from './types.js';

/** True when the server advertises `name` in `scope.extensions`. */
export function advertises(scope: Scope, name: string): boolean {
  const extensions = (scope as { extensions?: Record<string, unknown> }).extensions;
  return extensions !== undefined && extensions !== null && extensions[name] !== undefined;
}

/** `reason` of `http.response.start`: a string Node's `writeHead` accepts, only under `reason_phrase`. */
export function checkReason(scope: Scope, type: string, reason: unknown): string {
  if (!advertises(scope, 'reason_phrase')) {
    throw new InvalidEvent(type, 'reason', 'needs the reason_phrase extension, which is not advertised in scope.extensions');
  }
  if (typeof reason !== 'string') throw new InvalidEvent(type, 'reason', `must be a string, got ${typeof reason}`);
  const bad = INVALID_FIELD_CHAR.exec(reason);
  if (bad !== null) {
    const code = (bad[0].codePointAt(0) as number).toString(16).padStart(2, '0');
    throw new InvalidEvent(type, 'reason', `must not contain U+${code.toUpperCase()} (CR, LF, controls and chars above U+00FF are refused, as by Node's writeHead)`);
  }
  return reason;
}

/**
 * `header_names` of `http.response.start` (under `header_case`): spellings
 * for header names. Each header whose name one of them spells (ignoring
 * case) goes out spelled so, the others lower-case. Keyed by name, not by
 * position, so a middleware that adds, drops or reorders headers on its way
 * keeps a valid start. Returns the spelling of each of `headers`, by index.
 */
export function spellHeaderNames(scope: Scope, type: string, names: unknown, headers: readonly HeaderPair[]): string[] {
  if (!advertises(scope, 'header_case')) {
    throw new InvalidEvent(type, 'header_names', 'needs the header_case extension, which is not advertised in scope.extensions');
  }
  if (!Array.isArray(names)) throw new InvalidEvent(type, 'header_names', `must be an array of header names, got ${typeof names}`);
  const spelling = new Map<string, string>();
  for (let i = 0; i < names.length; i++) {
    const name: unknown = names[i];
    if (typeof name !== 'string' || !TOKEN.test(name)) {
      throw new InvalidEvent(type, `header_names[${i}]`, `is not a valid header name: ${JSON.stringify(name)}`);
    }
    spelling.set(name.toLowerCase(), name);
  }
  return headers.map(([name]) => spelling.get(name) ?? name);
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
