/**
 * Errors of `serve()` and the CLI. Each has a stable `code`; the CLI prints
 * their message as its one-line error.
 */
import { PagiError } from '../protocol/errors.js';

/** A bad `serve()` option or CLI flag. */
export class InvalidOption extends PagiError {
  readonly option: string;
  constructor(option: string, problem: string) {
    super('ERR_PAGI_INVALID_OPTION', `${option} ${problem}`);
    this.option = option;
  }
}

/** The server could not bind (port in use, permission, unknown host). */
export class ListenFailed extends PagiError {
  readonly syscallCode: string | undefined;
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PAGI_LISTEN_FAILED', message, options);
    const cause = options?.cause as { code?: unknown } | undefined;
    this.syscallCode = typeof cause?.code === 'string' ? cause.code : undefined;
  }
}

/** The CLI could not load the application (file, export, `to_app()`). */
export class AppLoadFailed extends PagiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PAGI_APP_LOAD_FAILED', message, options);
  }
}

/** Every worker of a multi-worker server failed to start. */
export class WorkersFailed extends PagiError {
  constructor(message: string) {
    super('ERR_PAGI_WORKERS_FAILED', message);
  }
}
