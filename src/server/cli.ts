#!/usr/bin/env node
/**
 * `pagi-server`: runs a PAGI app with `serve()`. Every mistake ends with one
 * line on stderr (`pagi-server: error: ...`) and a non-zero exit code, never
 * a stack trace: 2 for usage errors, 1 for everything else.
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LifespanStartupFailed, PagiError } from '../protocol/errors.js';
import { parseCliArgs, USAGE, UsageError, type CliArgs } from './cli-args.js';
import type { ServeOptions } from './config.js';
import { loadApp, oneLine } from './load-app.js';
import { createLogger } from './logger.js';
import { serve } from './serve.js';
import { reportToPrimary } from './workers.js';

async function main(argv: string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) return fail(err.message, 2);
    throw err;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`pagi-server ${packageVersion()}\n`);
    return 0;
  }

  const options: ServeOptions = {
    ...args.ops.serve,
    logLevel: args.logLevel,
    accessLog: args.accessLog,
    handleSignals: true,
  };
  // Before the app is imported, so its module scope sees the variables; the workers re-run this.
  if (args.ops.envFile !== undefined) loadEnvFile(args.ops.envFile);
  if (args.host !== undefined) options.host = args.host;
  if (args.port !== undefined) options.port = args.port;
  if (args.workers !== undefined) options.workers = args.workers;
  if (args.rootPath !== undefined) options.rootPath = args.rootPath;
  if (args.maxBodySize !== undefined) options.maxBodySize = args.maxBodySize;
  if (args.timeoutKeepAlive !== undefined) options.timeoutKeepAlive = args.timeoutKeepAlive;
  if (args.http2) {
    options.http2 = {};
    if (args.http2MaxConcurrentStreams !== undefined) options.http2.maxConcurrentStreams = args.http2MaxConcurrentStreams;
    if (args.http2MaxHeaderListSize !== undefined) options.http2.maxHeaderListSize = args.http2MaxHeaderListSize;
  }
  if (args.sslKey !== undefined && args.sslCert !== undefined) {
    options.tls = { key: readPem('--ssl-key', args.sslKey), cert: readPem('--ssl-cert', args.sslCert) };
  }

  if (options.reload) options.reloadDirs = [appDirectory(args.app as string), ...args.ops.reloadDirs.map((d) => path.resolve(d))];

  // The info line goes out in the server log's format, before serve() has its logger;
  // once per server: the primary speaks for its workers.
  const info = createLogger(cluster.isWorker ? 'silent' : args.logLevel, undefined, undefined, options.logFormat);
  // With --reload the primary only watches and supervises: the app is loaded (and reloaded) by its worker.
  const app = options.reload && cluster.isPrimary ? notLoaded : await loadApp(args.app as string, process.cwd(), (message) => info.info(message));
  const handle = await serve(app, options);
  await handle.closed;
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

/** The directory of `./app.js:name` (relative to the working directory). */
function appDirectory(spec: string): string {
  const file = /^(.*?\.[cm]?[jt]s):[^/\\]*$/.exec(spec)?.[1] ?? spec;
  return path.dirname(path.resolve(file));
}

/** Stands in for the app in a --reload primary, which never serves a request. */
const notLoaded = async (): Promise<void> => {
  throw new Error('the reload supervisor does not run the app');
};

/** Node's own .env parser (`process.loadEnvFile`); variables already set win, as with `node --env-file`. */
function loadEnvFile(file: string): void {
  try {
    process.loadEnvFile(file);
  } catch (err) {
    throw new UsageError(`cannot read the --env-file file ${file}: ${(err as NodeJS.ErrnoException).code ?? oneLine(err)}`);
  }
}

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read the ${flag} file ${file}: ${(err as NodeJS.ErrnoException).code ?? oneLine(err)}`);
  }
}

function fail(message: string, code: number): number {
  // A worker's failure is reported once, by the primary.
  if (!cluster.isWorker) process.stderr.write(`pagi-server: error: ${message}\n`);
  return code;
}

function describeFailure(err: unknown): { message: string; code: number } {
  if (err instanceof UsageError) return { message: err.message, code: 2 };
  if (err instanceof LifespanStartupFailed) return { message: `application startup failed: ${err.message}`, code: 1 };
  if (err instanceof PagiError) return { message: err.message, code: 1 };
  return { message: `unexpected error: ${oneLine(err)}`, code: 1 };
}

function packageVersion(): string {
  let dir: string;
  try {
    dir = path.dirname(fileURLToPath(import.meta.url));
  } catch {
    return 'unknown'; // the CommonJS build has no import.meta.url; the bin is the ESM one
  }
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'pagi' && pkg.version) return pkg.version;
    } catch {
      // keep walking up
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const { message, code } = describeFailure(err);
    const exit = () => process.exit(fail(message, code));
    // A worker that cannot start (its app does not load, say) tells the primary why, which says it
    // once (and, with --reload, waits for a fix); the exit waits for the message to leave.
    reportToPrimary({ pagi: 'fatal', message }, exit);
    if (cluster.isWorker) setTimeout(exit, 1000).unref();
  },
);
