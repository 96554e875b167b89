/**
 * `pagi-server` command-line parsing with `node:util` parseArgs. Every
 * mistake is a `UsageError` whose message is the one line the CLI prints.
 */
import { parseArgs } from 'node:util';
import { isLogLevel, type LogLevel } from './logger.js';
import { OPS_OPTIONS, OPS_USAGE, parseOpsArgs, type OpsArgs } from './cli-ops-args.js';
import { bytesValue, secondsValue } from './cli-values.js';
import { UsageError } from './usage-error.js';

export { UsageError };

export interface CliArgs {
  help: boolean;
  version: boolean;
  app: string | undefined;
  host: string | undefined;
  port: number | undefined;
  workers: number | undefined;
  sslKey: string | undefined;
  sslCert: string | undefined;
  rootPath: string | undefined;
  maxBodySize: number | undefined;
  timeoutKeepAlive: number | undefined;
  http2: boolean;
  http2MaxConcurrentStreams: number | undefined;
  http2MaxHeaderListSize: number | undefined;
  accessLog: boolean;
  logLevel: LogLevel;
  /** Proxy, limits, listeners, log formats, reload, env file (cli-ops-args.ts). */
  ops: OpsArgs;
}

export const USAGE = `Usage: pagi-server [options] <app>

Runs a PAGI application. <app> is a module path, optionally with an export name:
  ./app.js            the default export (a function, or an object with to_app())
  ./app.js:name       a named export
  .js, .mjs, .cjs, and .ts when tsx is installed

Options:
  --host <host>                 interface to bind (default 127.0.0.1)
  --port <port>                 port to bind, 0 for any free port (default 8000)
  --workers <n>                 worker processes (default 1)
  --ssl-key <file>              TLS private key (PEM); serve https/wss
  --ssl-cert <file>             TLS certificate (PEM)
  --root-path <path>            mount prefix reported as root_path (e.g. /api)
  --max-body-size <bytes>       largest request body, e.g. 1048576, 512k, 10m (default unlimited)
  --timeout-keep-alive <secs>   idle keep-alive connection timeout (default 5)
  --no-access-log               do not write the access log to stdout
  --log-level <level>           debug, info, warn, error or silent (default info)
  --http2                       also serve HTTP/2 (ALPN h2 with TLS, h2c prior knowledge without)
  --http2-max-concurrent-streams <n>  streams per HTTP/2 connection (default 100)
  --http2-max-header-list-size <bytes> largest HTTP/2 request header list (default 16k)
${OPS_USAGE}  --help                        show this help
  --version                     show the version
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  host: { type: 'string' },
  port: { type: 'string' },
  workers: { type: 'string' },
  'ssl-key': { type: 'string' },
  'ssl-cert': { type: 'string' },
  'root-path': { type: 'string' },
  'max-body-size': { type: 'string' },
  'timeout-keep-alive': { type: 'string' },
  'no-access-log': { type: 'boolean' },
  'log-level': { type: 'string' },
  http2: { type: 'boolean' },
  'http2-max-concurrent-streams': { type: 'string' },
  'http2-max-header-list-size': { type: 'string' },
  ...OPS_OPTIONS,
} as const;

export function parseCliArgs(argv: string[]): CliArgs {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(describeParseError(err));
  }
  const { values, positionals } = parsed;
  if (values.help || values.version) {
    return { ...defaults(), help: values.help === true, version: values.version === true };
  }
  if (positionals.length === 0) throw new UsageError('missing the app to run (e.g. pagi-server ./app.js); see --help');
  if (positionals.length > 1) throw new UsageError(`expected one app, got ${positionals.length}: ${positionals.join(' ')}`);
  if ((values['ssl-key'] === undefined) !== (values['ssl-cert'] === undefined)) {
    throw new UsageError('--ssl-key and --ssl-cert must be given together');
  }
  const logLevel = values['log-level'] ?? 'info';
  if (!isLogLevel(logLevel)) throw new UsageError(`--log-level must be debug, info, warn, error or silent, got '${logLevel}'`);
  const rootPath = values['root-path'];
  if (rootPath !== undefined && rootPath !== '' && (!rootPath.startsWith('/') || rootPath.endsWith('/'))) {
    throw new UsageError(`--root-path must start with '/' and not end with '/', got '${rootPath}'`);
  }
  return {
    help: false,
    version: false,
    app: positionals[0],
    host: values.host,
    port: integerOption('--port', values.port, 0, 65535),
    workers: integerOption('--workers', values.workers, 1, 1024),
    sslKey: values['ssl-key'],
    sslCert: values['ssl-cert'],
    rootPath,
    maxBodySize: bytesValue('--max-body-size', values['max-body-size']),
    timeoutKeepAlive: secondsValue('--timeout-keep-alive', values['timeout-keep-alive']),
    http2: values.http2 === true,
    http2MaxConcurrentStreams: integerOption('--http2-max-concurrent-streams', values['http2-max-concurrent-streams'], 1, 2 ** 31 - 1),
    http2MaxHeaderListSize: bytesValue('--http2-max-header-list-size', values['http2-max-header-list-size']),
    accessLog: values['no-access-log'] !== true,
    logLevel,
    ops: parseOpsArgs(values),
  };
}

function defaults(): CliArgs {
  return {
    help: false,
    version: false,
    app: undefined,
    host: undefined,
    port: undefined,
    workers: undefined,
    sslKey: undefined,
    sslCert: undefined,
    rootPath: undefined,
    maxBodySize: undefined,
    timeoutKeepAlive: undefined,
    http2: false,
    http2MaxConcurrentStreams: undefined,
    http2MaxHeaderListSize: undefined,
    accessLog: true,
    logLevel: 'info',
    ops: { serve: {}, envFile: undefined, reloadDirs: [] },
  };
}

function integerOption(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return n;
}

/** parseArgs' own messages are long and mention internals; say what went wrong in our words. */
function describeParseError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const option = /'(-[^']*)'/.exec(e.message ?? '')?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? ''}; see --help`.replace('  ', ' ');
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /does not take/.test(e.message ?? '')
        ? `option ${option?.split(' ')[0] ?? ''} does not take a value`
        : `option ${option?.split(' ')[0] ?? ''} needs a value`;
    default:
      return (e.message ?? String(err)).split('\n')[0] ?? 'invalid arguments';
  }
}
