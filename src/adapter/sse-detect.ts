/**
 * SSE detection (PROTOCOL.md §6.1): a request that is not a WebSocket upgrade
 * is an `sse` scope when its `Accept` headers, taken together, list the exact
 * media range `text/event-stream` with a quality above 0. `*\/*` and `text/*`
 * never count; the method and URL play no part.
 */
import type { HeadersInput } from '../protocol/types.js';

/** True when the request headers ask for an event stream (and it is not an upgrade). */
export function wantsEventStream(headers: HeadersInput): boolean {
  let accepts = false;
  let upgrade = false;
  for (let i = 0; i < headers.length; i++) {
    const pair = headers[i] as readonly [string, string];
    const name = pair[0];
    if (name === 'accept') {
      // Cheap pre-check before parsing: most Accept headers never mention it.
      if (!accepts && /event-stream/i.test(pair[1]) && acceptListsEventStream(pair[1])) accepts = true;
    } else if (name === 'upgrade') {
      upgrade = true;
    }
  }
  return accepts && !upgrade;
}

/** Parses one Accept value: `text/event-stream` present with q > 0. */
export function acceptListsEventStream(value: string): boolean {
  for (const range of value.split(',')) {
    const parts = range.split(';');
    if ((parts[0] as string).trim().toLowerCase() !== 'text/event-stream') continue;
    if (qualityOf(parts) > 0) return true;
  }
  return false;
}

/** The `q` parameter of a media range, 1 when absent, 0 when malformed. */
function qualityOf(parts: string[]): number {
  for (let i = 1; i < parts.length; i++) {
    const param = (parts[i] as string).trim();
    const eq = param.indexOf('=');
    if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
    const raw = param.slice(eq + 1).trim();
    // RFC 9110 qvalue: 0, 0.xxx, 1, 1.000 — anything else is ignored as malformed.
    if (!/^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(raw)) return 0;
    return Number(raw);
  }
  return 1;
}
