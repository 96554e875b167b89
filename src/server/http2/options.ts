/**
 * The `http2` option group of `serve()` (`--http2` and its limits on the
 * command line): what it accepts, its defaults and its checks.
 */
import { InvalidOption } from '../errors.js';

/** HTTP/2 settings; `http2: true` takes every default. */
export interface Http2Options {
  /**
   * Streams one client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS);
   * a client opening more has them refused. Default 100.
   */
  maxConcurrentStreams?: number;
  /**
   * Largest request header list in bytes (SETTINGS_MAX_HEADER_LIST_SIZE, HPACK
   * sizes: name + value + 32 per field); a larger one is refused. Default: the
   * server's `maxHeaderSize` (16 KiB), the budget HTTP/1.1 requests get.
   */
  maxHeaderListSize?: number;
  /**
   * Rapid-reset bound (CVE-2023-44487): streams a client may reset before the
   * server answered them, in a burst, refilled at a tenth of it per second.
   * Past it the connection ends with GOAWAY `ENHANCE_YOUR_CALM`. Default 100.
   */
  maxRapidResets?: number;
}

export interface ResolvedHttp2Options {
  maxConcurrentStreams: number;
  maxHeaderListSize: number;
  maxRapidResets: number;
}

/** `undefined` when HTTP/2 is off. */
export function resolveHttp2Options(
  value: boolean | Http2Options | undefined,
  maxHeaderSize: number,
): ResolvedHttp2Options | undefined {
  if (value === undefined || value === false) return undefined;
  if (value !== true && (typeof value !== 'object' || value === null)) {
    throw new InvalidOption('http2', `must be true, false or an options object, got ${String(value)}`);
  }
  const options = value === true ? {} : value;
  return {
    maxConcurrentStreams: integer('http2.maxConcurrentStreams', options.maxConcurrentStreams, 100, 1, 2 ** 31 - 1),
    maxHeaderListSize: integer('http2.maxHeaderListSize', options.maxHeaderListSize, maxHeaderSize, 1, 2 ** 32 - 1),
    maxRapidResets: integer('http2.maxRapidResets', options.maxRapidResets, 100, 1, 1_000_000),
  };
}

function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOption(name, `must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}
