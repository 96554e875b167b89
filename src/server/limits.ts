/**
 * `limitConcurrency` and `limitMaxRequests` of one server process: how many
 * requests and WebSocket sessions are open (beyond the limit new ones get
 * 503 + `Retry-After`), and how many were admitted in total (at the limit,
 * plus this process's jitter, the process asks to be recycled).
 */
import type { ServerResponse } from 'node:http';

/** Seconds a refused client is told to wait: the limit is about open work, which turns over quickly. */
export const RETRY_AFTER_SECONDS = 1;

export interface RequestLimits {
  /** Counts one more open request or session; false (nothing counted) when at the concurrency limit. */
  admit(): boolean;
  /** The admitted request or session has ended. */
  release(): void;
  /** Open requests and sessions. */
  readonly open: number;
}

export interface LimitSettings {
  /** 0 = no limit. */
  limitConcurrency: number;
  /** 0 = never recycle. */
  limitMaxRequests: number;
  limitMaxRequestsJitter: number;
}

/**
 * `onMaxRequests` runs once, right after the admission that reached the
 * limit (that request is still served; the caller then shuts down gracefully).
 */
export function createRequestLimits(settings: LimitSettings, onMaxRequests: (count: number) => void, random = Math.random): RequestLimits {
  const max = settings.limitMaxRequests > 0 ? settings.limitMaxRequests + Math.floor(random() * (settings.limitMaxRequestsJitter + 1)) : 0;
  let open = 0;
  let total = 0;
  return {
    admit() {
      if (settings.limitConcurrency > 0 && open >= settings.limitConcurrency) return false;
      open++;
      total++;
      if (total === max) onMaxRequests(total);
      return true;
    },
    release() {
      if (open > 0) open--;
    },
    get open() {
      return open;
    },
  };
}

/** The 503 of a request refused by `limitConcurrency`; the connection is not kept (the client should back off). */
export function refuseOverLimit(res: ServerResponse): void {
  const body = 'Service Unavailable';
  res.shouldKeepAlive = false;
  res.writeHead(503, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(body.length),
    'retry-after': String(RETRY_AFTER_SECONDS),
    connection: 'close',
  });
  res.end(body);
}
