/**
 * The production and development flags of `pagi-server` (issue 13, uvicorn's
 * names): proxies, limits and supervision, WebSocket options, listeners,
 * log formats, reload and `.env` files. Each maps onto one `serve()` option;
 * `--env-file` is the CLI's own (loaded before the app is imported).
 */
import type { ServeOptions } from './config.js';
import { bytesValue, secondsValue } from './cli-values.js';
import { UsageError } from './usage-error.js';

export const OPS_USAGE = `  --proxy-headers               trust Forwarded / X-Forwarded-For / X-Forwarded-Proto from --forwarded-allow-ips
  --forwarded-allow-ips <list>  trusted proxies: IPs, CIDRs or '*' (default 127.0.0.1)
  --limit-concurrency <n>       open requests + WebSockets beyond which new ones get 503 (default none)
  --limit-max-requests <n>      replace a worker (without workers: shut down) after n requests
  --limit-max-requests-jitter <n>  up to n extra requests per process, so workers recycle apart (default 0)
  --backlog <n>                 listen backlog (default 2048)
  --timeout-graceful-shutdown <secs>  time in-flight requests get on shutdown (default 30)
  --lifespan <mode>             auto, on (required: a failure stops the server) or off (default auto)
  --timeout-worker-healthcheck <secs>  kill and replace a worker whose event loop is blocked this long (default 5)
  --ws-max-size <bytes>         largest inbound WebSocket message (default 16m)
  --ws-ping-interval <secs>     ping every open WebSocket this often (default 0: off)
  --ws-ping-timeout <secs>      close a WebSocket whose pong is this late (default 0: no deadline)
  --ws-per-message-deflate      negotiate permessage-deflate (default off)
  --uds <path>                  listen on a Unix domain socket instead of --host/--port
  --uds-mode <octal>            file mode of the --uds socket, e.g. 660
  --fd <n>                      listen on the inherited listening socket with this file descriptor
  --access-log-format <format>  common, combined or json (default common)
  --log-format <format>         text or json: one JSON object per line (default text)
  --reload                      restart when a file in the app's directory changes (development)
  --reload-dir <dir>            also watch this directory (repeatable)
  --env-file <path>             load environment variables from this .env file first
`;

export const OPS_OPTIONS = {
  'proxy-headers': { type: 'boolean' },
  'forwarded-allow-ips': { type: 'string' },
  'limit-concurrency': { type: 'string' },
  'limit-max-requests': { type: 'string' },
  'limit-max-requests-jitter': { type: 'string' },
  backlog: { type: 'string' },
  'timeout-graceful-shutdown': { type: 'string' },
  lifespan: { type: 'string' },
  'timeout-worker-healthcheck': { type: 'string' },
  'ws-max-size': { type: 'string' },
  'ws-ping-interval': { type: 'string' },
  'ws-ping-timeout': { type: 'string' },
  'ws-per-message-deflate': { type: 'boolean' },
  uds: { type: 'string' },
  'uds-mode': { type: 'string' },
  fd: { type: 'string' },
  'access-log-format': { type: 'string' },
  'log-format': { type: 'string' },
  reload: { type: 'boolean' },
  'reload-dir': { type: 'string', multiple: true },
  'env-file': { type: 'string' },
} as const;

type Values = { [K in keyof typeof OPS_OPTIONS]?: (typeof OPS_OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPS_OPTIONS)[K] extends { type: 'boolean' } ? boolean : string };

/** What the ops flags ask for. */
export interface OpsArgs {
  /** Options for serve(), only those given. */
  serve: ServeOptions;
  /** `--env-file`, loaded by the CLI before the app. */
  envFile: string | undefined;
  /** `--reload-dir`s (the CLI adds the app's directory). */
  reloadDirs: string[];
}

export function parseOpsArgs(values: Values): OpsArgs {
  const serve: ServeOptions = {};
  if (values['proxy-headers'] === true) serve.proxyHeaders = true;
  if (values['forwarded-allow-ips'] !== undefined) {
    if (values['proxy-headers'] !== true) throw new UsageError('--forwarded-allow-ips needs --proxy-headers');
    serve.forwardedAllowIps = values['forwarded-allow-ips'];
  }
  set(serve, 'limitConcurrency', count('--limit-concurrency', values['limit-concurrency'], 1));
  set(serve, 'limitMaxRequests', count('--limit-max-requests', values['limit-max-requests'], 1));
  set(serve, 'limitMaxRequestsJitter', count('--limit-max-requests-jitter', values['limit-max-requests-jitter'], 0));
  set(serve, 'backlog', count('--backlog', values.backlog, 1));
  set(serve, 'gracefulTimeout', secondsValue('--timeout-graceful-shutdown', values['timeout-graceful-shutdown']));
  set(serve, 'lifespan', oneOf('--lifespan', values.lifespan, ['auto', 'on', 'off'] as const));
  set(serve, 'timeoutWorkerHealthcheck', secondsValue('--timeout-worker-healthcheck', values['timeout-worker-healthcheck']));
  const websocket: NonNullable<ServeOptions['websocket']> = {};
  set(websocket, 'maxMessageSize', bytesValue('--ws-max-size', values['ws-max-size'], 1));
  set(websocket, 'pingInterval', secondsValue('--ws-ping-interval', values['ws-ping-interval']));
  set(websocket, 'pingTimeout', secondsValue('--ws-ping-timeout', values['ws-ping-timeout']));
  if (values['ws-per-message-deflate'] === true) websocket.perMessageDeflate = true;
  if (Object.keys(websocket).length > 0) serve.websocket = websocket;
  if (values.uds !== undefined && values.fd !== undefined) throw new UsageError('--uds and --fd cannot be used together');
  if (values.uds !== undefined) {
    if (values.uds === '') throw new UsageError('--uds needs a socket path');
    serve.uds = values.uds;
  }
  if (values['uds-mode'] !== undefined) {
    if (values.uds === undefined) throw new UsageError('--uds-mode needs --uds');
    if (!/^0?o?[0-7]{1,4}$/i.test(values['uds-mode']) || parseInt(values['uds-mode'].replace(/^0?o/i, ''), 8) > 0o777) {
      throw new UsageError(`--uds-mode must be an octal file mode such as 660, got '${values['uds-mode']}'`);
    }
    serve.udsMode = parseInt(values['uds-mode'].replace(/^0?o/i, ''), 8);
  }
  set(serve, 'fd', count('--fd', values.fd, 0));
  set(serve, 'accessLogFormat', oneOf('--access-log-format', values['access-log-format'], ['common', 'combined', 'json'] as const));
  set(serve, 'logFormat', oneOf('--log-format', values['log-format'], ['text', 'json'] as const));
  const reloadDirs = values['reload-dir'] ?? [];
  if (reloadDirs.length > 0 && values.reload !== true) throw new UsageError('--reload-dir needs --reload');
  if (values.reload === true) serve.reload = true;
  const envFile = values['env-file'];
  if (envFile === '') throw new UsageError('--env-file needs a file path');
  return { serve, envFile, reloadDirs };
}

function set<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

function count(flag: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} must be an integer of at least ${min}, got '${raw}'`);
  return n;
}

function oneOf<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw new UsageError(`${flag} must be ${allowed.join(', ')}, got '${raw}'`);
  return raw as T;
}
