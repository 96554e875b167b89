/**
 * The server's logger: four levels written as single lines to stderr, so a
 * process supervisor sees one record per line. Apps and tests may pass their
 * own `Logger` instead.
 */
import { format } from 'node:util';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** `'text'`: `pagi info: message`; `'json'`: `{"time":…,"level":"info","message":…}` per line. */
export type LogFormat = 'text' | 'json';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

export interface Logger {
  debug(message: string, err?: unknown): void;
  info(message: string, err?: unknown): void;
  warn(message: string, err?: unknown): void;
  error(message: string, err?: unknown): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** A logger that drops records below `level` and prefixes the rest with the process role. */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = writeStderr,
  prefix = 'pagi',
  format: LogFormat = 'text',
): Logger {
  const min = RANK[level];
  const emit = (lvl: Exclude<LogLevel, 'silent'>) => (message: string, err?: unknown) => {
    if (RANK[lvl] < min) return;
    if (format === 'json') write(jsonRecord(lvl, message, err));
    else write(`${prefix} ${lvl}: ${message}${err === undefined ? '' : ` ${describeError(err, lvl)}`}`);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/**
 * Errors logged at error level keep their stack (an app bug needs it);
 * lower levels get the one-line message.
 */
function describeError(err: unknown, level: string): string {
  if (err instanceof Error) return level === 'error' && err.stack ? `\n${err.stack}` : `(${err.message})`;
  return `(${format('%o', err)})`;
}

/** One JSON object; an error's stack stays inside its string, so the record stays on one line. */
function jsonRecord(level: string, message: string, err: unknown): string {
  const record: Record<string, unknown> = { time: new Date().toISOString(), level, message };
  if (err !== undefined) record.error = err instanceof Error ? (level === 'error' && err.stack ? err.stack : err.message) : format('%o', err);
  return JSON.stringify(record);
}

function writeStderr(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}
