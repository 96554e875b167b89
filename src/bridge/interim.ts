/**
 * Node's 1xx calls on the fake response → `http.response.interim` (the
 * `interim` extension, docs/protocol.md#httpresponseinterim). Mirrors what
 * Node itself writes: `writeContinue()` → 100, `writeProcessing()` → 102,
 * `writeEarlyHints(hints)` → 103 with `link` first, and nothing at all when
 * the hints carry no `link`.
 */
import type { HeaderPair, SendEvent } from '../protocol/types.js';

/** The interim event for a Node 1xx call, or undefined when Node would write nothing. */
export function interimEvent(status: 100 | 102 | 103, hints?: unknown): SendEvent | undefined {
  if (status !== 103) return { type: 'http.response.interim', status, headers: [] };
  if (typeof hints !== 'object' || hints === null || Array.isArray(hints)) {
    // Node's validateObject(hints, 'hints').
    throw Object.assign(new TypeError(`The "hints" argument must be of type object. Received ${describe(hints)}`), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
  }
  const record = hints as Record<string, unknown>;
  const link = record.link;
  if (link === null || link === undefined) return undefined;
  const links = (Array.isArray(link) ? link : [link]).map(String).filter((value) => value !== '');
  if (links.length === 0) return undefined;
  const headers: HeaderPair[] = [['link', links.join(', ')]];
  for (const [name, value] of Object.entries(record)) {
    if (name !== 'link') headers.push([name.toLowerCase(), String(value)]);
  }
  return { type: 'http.response.interim', status, headers };
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an instance of Array' : `type ${typeof value} (${String(value)})`;
}
