/**
 * `http.response.interim` onto a Node `ServerResponse` (the `interim`
 * extension, docs/protocol.md#httpresponseinterim), through Node's public
 * 1xx API only: `writeContinue()` (100), `writeProcessing()` (102) and
 * `writeEarlyHints()` (103). Node offers nothing for other 1xx codes or for
 * headers on 100/102, so those are dropped: interim responses are advisory
 * and a client must cope without them (RFC 9110 §15.2).
 */
import type { ServerResponse } from 'node:http';
import { InvalidEvent } from '../protocol/errors.js';
import type { HeaderPair } from '../protocol/types.js';

type InterimResponse = ServerResponse & {
  writeEarlyHints?: (hints: Record<string, string | string[]>) => void;
  writeProcessing?: () => void;
};

/** Writes one interim response; a no-op once the head is out or for a code Node cannot write. */
export function writeInterim(res: ServerResponse, status: number, headers: HeaderPair[]): void {
  const target = res as InterimResponse;
  if (res.headersSent || res.destroyed) return;
  if (status === 100) {
    res.writeContinue();
  } else if (status === 102) {
    target.writeProcessing?.();
  } else if (status === 103 && typeof target.writeEarlyHints === 'function') {
    try {
      // Node writes nothing without a `link` hint.
      target.writeEarlyHints(hintsOf(headers));
    } catch (error) {
      // Node validates `link` values itself (ERR_INVALID_ARG_VALUE).
      throw new InvalidEvent('http.response.interim', 'headers', (error as Error).message);
    }
  }
}

/** Pairs → Node's hints object: repeated `link` values stay an array, other repeats are joined. */
function hintsOf(headers: HeaderPair[]): Record<string, string | string[]> {
  const hints: Record<string, string | string[]> = {};
  const links: string[] = [];
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    if (key === 'link') links.push(value);
    else hints[key] = key in hints ? `${String(hints[key])}, ${value}` : value;
  }
  if (links.length > 0) hints.link = links.length === 1 ? (links[0] as string) : links;
  return hints;
}
