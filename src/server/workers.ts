/**
 * Multi-worker mode with `node:cluster`. The primary forks N workers (each
 * re-runs the calling script and serves through `serve()` with its own
 * lifespan, `is_worker: true`, `worker_num` 1…N), restarts a worker that
 * crashes after it was serving (with a back-off), never restarts one that
 * failed to start (`lifespan.startup.failed`, a listen error, a crash before
 * listening), forwards shutdown to every worker, and is closed when they are
 * all gone. It also runs the IPC relay (ipc-relay.ts) the workers' cluster
 * channel layer talks to.
 *
 * A worker is *replaced* when it reached `limitMaxRequests`, and every
 * worker when `reload` sees a change: a successor is forked, and once it
 * listens the old one is asked to retire (it stops taking connections,
 * answers the ones it holds, then exits), so the port never goes unserved
 * and no request is lost. A worker whose heartbeat stops (heartbeat.ts) is killed and
 * restarted like a crashed one.
 */
import cluster, { type Worker } from 'node:cluster';
import type { ResolvedConfig } from './config.js';
import { WorkersFailed } from './errors.js';
import { startIpcRelay } from './ipc-relay.js';
import type { ServerHandle } from './serve.js';
import { handleShutdownSignals } from './shutdown.js';
import { heartbeatInterval } from './heartbeat.js';
import { watchForReload, type ReloadWatcher } from './reload-watch.js';

const WORKER_NUM_ENV = 'PAGI_WORKER_NUM';

/** Messages a worker sends to the primary. */
export type WorkerReport =
  | { pagi: 'listening'; host: string; port: number; url: string }
  | { pagi: 'fatal'; message: string }
  /** limitMaxRequests reached: replace me. */
  | { pagi: 'recycle' }
  /** My server is closed; answer once no connection is on its way to me (see `leaveCluster`). */
  | { pagi: 'leaving' }
  | { pagi: 'heartbeat' };

const SHUTDOWN_MESSAGE = { pagi: 'shutdown' } as const;
/** A graceful stop of a worker whose successor serves already (see `onPrimaryShutdown`). */
const RETIRE_MESSAGE = { pagi: 'retire' } as const;
const LEFT_MESSAGE = { pagi: 'left' } as const;
/** How long a closed worker waits for the primary's answer before it exits anyway. */
const LEAVE_TIMEOUT_MS = 2000;

/** Restart delays grow from this, doubling per consecutive crash, up to MAX_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 10_000;
/** A worker that served this long before crashing starts its back-off afresh. */
const STABLE_AFTER_MS = 10_000;

export function workerIdentity(): { isWorker: boolean; workerNum: number | undefined } {
  if (!cluster.isWorker) return { isWorker: false, workerNum: undefined };
  const num = Number(process.env[WORKER_NUM_ENV]);
  return { isWorker: true, workerNum: Number.isInteger(num) && num > 0 ? num : undefined };
}

/**
 * In a cluster worker, tells the primary how startup went; a no-op elsewhere.
 * `sent` runs once the message left (or at once when there is no primary to
 * tell), so a worker about to exit can wait for its last word.
 */
export function reportToPrimary(report: WorkerReport, sent?: () => void): void {
  if (!cluster.isWorker || !process.connected || !process.send) {
    sent?.();
    return;
  }
  try {
    if (sent === undefined) process.send(report);
    else process.send(report, undefined, {}, () => sent());
  } catch {
    // The primary is gone; nothing to tell.
    sent?.();
  }
}

/**
 * In a cluster worker whose server is closed: resolves once the primary can
 * hand it no more connections, so exiting loses none.
 *
 * Node's cluster primary hands each connection to a worker in an IPC message
 * and keeps the socket open until the worker answers. A worker that closed its
 * server bounces such late connections back (the primary gives them to another
 * worker), but one that exits first never answers, and the primary holds the
 * connection open forever: the client hangs. The primary handles a worker's
 * messages in order, so once it reads `leaving` it has read the server's
 * close and sends nothing new; its `left` answer travels behind any
 * connection it had already sent, which this worker bounces before the
 * answer arrives.
 */
export function leaveCluster(): Promise<void> {
  if (!cluster.isWorker || !process.connected || !process.send) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      process.removeListener('message', onMessage);
      resolve();
    };
    const onMessage = (message: unknown) => {
      if (isMessage(message, 'left')) done();
    };
    // Unanswered (the primary is gone or stuck): exit anyway, as before.
    const timer = setTimeout(done, LEAVE_TIMEOUT_MS);
    process.on('message', onMessage);
    reportToPrimary({ pagi: 'leaving' });
  });
}

/**
 * In a cluster worker, runs `begin` when the primary asks for a graceful
 * shutdown. `retiring` is true when the worker is being replaced: its port
 * stays served, so the connections the primary handed it get a grace to
 * bring their request (connection-drain.ts), where a stop of the whole
 * server closes idle ones at once.
 */
export function onPrimaryShutdown(begin: (retiring: boolean) => void): void {
  process.on('message', (message: unknown) => {
    if (isMessage(message, 'shutdown')) begin(false);
    else if (isMessage(message, 'retire')) begin(true);
  });
}

interface Slot {
  num: number;
  worker: Worker | undefined;
  startedAt: number;
  listening: boolean;
  /** The worker reported it cannot start; it is not restarted. */
  fatal: string | undefined;
  failed: boolean;
  crashes: number;
  restartTimer: NodeJS.Timeout | undefined;
  /** A replacement starting; it takes over `worker` once it listens. */
  successor: Worker | undefined;
  /** `performance.now()` of the current worker's last heartbeat (or of its listening). */
  lastBeat: number;
  /** With `reload`: the worker failed to start (say, a syntax error); the next change starts it again. */
  awaitingChange: boolean;
}

/** The primary's side: forks the workers and resolves once each is listening or has failed. */
export function superviseWorkers(config: ResolvedConfig): Promise<ServerHandle> {
  const log = config.logger;
  const slots: Slot[] = [];
  let address: { host: string; port: number; url: string } | undefined;
  let shuttingDown = false;
  let startupSettled = false;
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  let resolveStartup!: (handle: ServerHandle) => void;
  let rejectStartup!: (err: Error) => void;
  const started = new Promise<ServerHandle>((resolve, reject) => {
    resolveStartup = resolve;
    rejectStartup = reject;
  });
  let removeSignalHandlers = () => {};
  const stopRelay = startIpcRelay();

  /** Workers replaced by a successor, finishing their last requests. */
  const retiring = new Set<Worker>();

  const spawn = (slot: Slot): Worker => {
    const worker = cluster.fork({ [WORKER_NUM_ENV]: String(slot.num) });
    worker.on('message', (message: unknown) => {
      // Answered for every worker, retiring ones included: see leaveCluster().
      if (!isMessage(message, 'leaving')) onReport(slot, worker, message);
      else tellWorker(worker, LEFT_MESSAGE);
    });
    worker.on('exit', (code: number | null, signal: string | null) => onExit(slot, worker, code, signal));
    return worker;
  };

  const fork = (slot: Slot) => {
    slot.restartTimer = undefined;
    slot.listening = false;
    slot.fatal = undefined;
    slot.startedAt = Date.now();
    slot.worker = spawn(slot);
  };

  /** Starts a successor for the slot's worker (at most one at a time). */
  const replace = (slot: Slot, why: string) => {
    if (shuttingDown || slot.successor || !slot.worker || !slot.listening) return;
    log.info(`worker ${slot.num} (pid ${slot.worker.process.pid}): ${why}; starting its replacement`);
    slot.fatal = undefined;
    slot.successor = spawn(slot);
  };

  const onReport = (slot: Slot, worker: Worker, message: unknown) => {
    if (worker === slot.successor) {
      onSuccessorReport(slot, worker, message);
      return;
    }
    if (worker !== slot.worker) return; // a retiring worker has nothing more to say
    if (isMessage(message, 'heartbeat')) {
      slot.lastBeat = performance.now();
    } else if (isMessage(message, 'recycle')) {
      replace(slot, 'reached limit-max-requests');
    } else if (isMessage(message, 'listening')) {
      slot.lastBeat = performance.now();
      const report = message as Extract<WorkerReport, { pagi: 'listening' }>;
      slot.listening = true;
      address ??= { host: report.host, port: report.port, url: report.url };
      // Asked to stop while this worker was starting: it can hear us only now.
      if (shuttingDown) askToStop(slot);
      checkStartup();
    } else if (isMessage(message, 'fatal')) {
      recordFatal(slot, message);
    }
  };

  // The first report is the cause (serve()'s own); the CLI's exit path may repeat it in other words.
  const recordFatal = (slot: Slot, message: unknown) => {
    slot.fatal ??= String((message as { message?: unknown }).message ?? 'unknown error');
  };

  const onSuccessorReport = (slot: Slot, worker: Worker, message: unknown) => {
    if (isMessage(message, 'fatal')) {
      recordFatal(slot, message);
    } else if (isMessage(message, 'listening')) {
      const old = slot.worker;
      slot.successor = undefined;
      slot.worker = worker;
      slot.startedAt = Date.now();
      slot.lastBeat = performance.now();
      slot.crashes = 0;
      log.info(`worker ${slot.num} replaced (pid ${worker.process.pid})`);
      if (old) {
        retiring.add(old);
        stopWorker(old, RETIRE_MESSAGE);
      }
      if (shuttingDown) askToStop(slot);
    }
  };

  const onExit = (slot: Slot, worker: Worker, code: number | null, signal: string | null) => {
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (retiring.delete(worker)) {
      log.debug(`worker ${slot.num} (pid ${worker.process.pid}, replaced) exited (${how})`);
      if (allStopped()) allGone();
      return;
    }
    if (worker === slot.successor) {
      slot.successor = undefined;
      if (!shuttingDown) {
        log.error(`worker ${slot.num}'s replacement failed to start${slot.fatal ? `: ${slot.fatal}` : ` (exited with ${how})`}; the running worker keeps serving`);
      }
      slot.fatal = undefined;
      if (allStopped()) allGone();
      return;
    }
    slot.worker = undefined;
    if (shuttingDown) {
      log.debug(`worker ${slot.num} exited (${how})`);
    } else if (config.reload && (slot.fatal !== undefined || !slot.listening)) {
      // A development loop keeps going through a broken save: the error is shown, the fix starts it.
      slot.awaitingChange = true;
      log.error(`worker ${slot.num} failed to start (reload: waiting for a change): ${slot.fatal ?? `exited with ${how}`}`);
      slot.fatal = undefined;
    } else if (slot.fatal !== undefined || !slot.listening) {
      slot.failed = true;
      log.error(`worker ${slot.num} failed to start${slot.fatal ? `: ${slot.fatal}` : ` (exited with ${how})`}; not restarting it`);
    } else {
      slot.crashes = Date.now() - slot.startedAt > STABLE_AFTER_MS ? 1 : slot.crashes + 1;
      const delay = Math.min(FIRST_BACKOFF_MS * 2 ** (slot.crashes - 1), MAX_BACKOFF_MS);
      log.error(`worker ${slot.num} (pid ${worker.process.pid}) exited unexpectedly (${how}); restarting in ${delay} ms`);
      slot.restartTimer = setTimeout(() => fork(slot), delay);
    }
    checkStartup();
    if (allStopped()) allGone();
  };

  const allStopped = () =>
    retiring.size === 0 &&
    slots.every((s) => s.worker === undefined && s.successor === undefined && s.restartTimer === undefined && !s.awaitingChange);

  // The heartbeat check: a listening worker silent for longer than the timeout is stuck.
  const healthcheckMs = config.timeoutWorkerHealthcheck * 1000;
  const healthcheck =
    healthcheckMs > 0
      ? setInterval(() => {
          const now = performance.now();
          for (const slot of slots) {
            const worker = slot.worker;
            if (shuttingDown || !worker || !slot.listening || now - slot.lastBeat <= healthcheckMs) continue;
            log.error(
              `worker ${slot.num} (pid ${worker.process.pid}) missed its heartbeat for ${config.timeoutWorkerHealthcheck}s ` +
                '(event loop blocked); killing it',
            );
            slot.lastBeat = now; // once: its exit restarts it
            worker.process.kill('SIGKILL');
          }
        }, heartbeatInterval(config.timeoutWorkerHealthcheck))
      : undefined;
  healthcheck?.unref();

  let watcher: ReloadWatcher | undefined;
  if (config.reload) {
    const dirs = config.reloadDirs.length > 0 ? config.reloadDirs : [process.cwd()];
    watcher = watchForReload(dirs, (file) => {
      for (const slot of slots) {
        if (!slot.awaitingChange) {
          replace(slot, `reload: ${file} changed`);
        } else if (!shuttingDown) {
          slot.awaitingChange = false;
          log.info(`worker ${slot.num}: reload: ${file} changed; starting it again`);
          fork(slot);
        }
      }
    }, log);
    log.info(`reload: watching ${dirs.join(', ')}`);
  }

  const checkStartup = () => {
    if (startupSettled || !slots.every((s) => s.listening || s.failed)) return;
    startupSettled = true;
    if (address) {
      log.info(`${slots.filter((s) => s.listening).length} of ${slots.length} workers listening on ${address.url}`);
      resolveStartup(handle);
    } else {
      rejectStartup(new WorkersFailed(`all ${slots.length} workers failed to start`));
    }
  };

  const allGone = () => {
    removeSignalHandlers();
    stopRelay();
    if (healthcheck) clearInterval(healthcheck);
    watcher?.close();
    if (!startupSettled) {
      // Stopped (by a signal or close()) before every worker was up: nothing failed.
      startupSettled = true;
      if (shuttingDown) resolveStartup(handle);
      else rejectStartup(new WorkersFailed(`all ${slots.length} workers failed to start`));
    }
    if (!shuttingDown) {
      // Every worker failed: the primary's job is over, and it failed.
      process.exitCode = 1;
      if (startupSettled) log.error('every worker has failed; stopping');
    }
    markClosed();
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      shuttingDown = true;
      for (const slot of slots) {
        if (slot.restartTimer) clearTimeout(slot.restartTimer);
        slot.restartTimer = undefined;
        slot.awaitingChange = false;
        // A worker still starting has no message listener yet; it is asked once it reports listening.
        if (slot.listening) askToStop(slot);
        // A successor still starting is asked once it listens (onSuccessorReport).
      }
      watcher?.close();
      if (allStopped()) allGone();
      // Each worker bounds its own drain and lifespan shutdown; this is the backstop.
      const deadline = (config.gracefulTimeout + config.lifespanShutdownTimeout + 5) * 1000;
      const timer = setTimeout(killAll, deadline);
      await closed;
      clearTimeout(timer);
    })();
    return closing;
  };

  const askToStop = (slot: Slot) => {
    if (slot.worker) stopWorker(slot.worker);
  };

  const stopWorker = (worker: Worker, message: object = SHUTDOWN_MESSAGE) => {
    if (!tellWorker(worker, message)) worker.process.kill('SIGTERM');
  };

  const killAll = () => {
    for (const slot of slots) {
      slot.worker?.process.kill('SIGKILL');
      slot.successor?.process.kill('SIGKILL');
    }
    for (const worker of retiring) worker.process.kill('SIGKILL');
  };

  const handle: ServerHandle = {
    // Before any worker listened (only when stopped during startup) the configured address stands in.
    get address() {
      return { host: address?.host ?? config.host, port: address?.port ?? config.port };
    },
    get url() {
      return address?.url ?? `${config.tls ? 'https' : 'http'}://${config.host}:${config.port}`;
    },
    server: null,
    closed,
    close,
  };

  if (config.handleSignals) {
    removeSignalHandlers = handleShutdownSignals(close, log);
    // A forced exit of the primary must not leave orphaned workers behind.
    process.once('exit', killAll);
  }
  for (let num = 1; num <= config.workers; num++) {
    const slot: Slot = {
      num,
      worker: undefined,
      startedAt: 0,
      listening: false,
      fatal: undefined,
      failed: false,
      crashes: 0,
      restartTimer: undefined,
      successor: undefined,
      awaitingChange: false,
      lastBeat: 0,
    };
    slots.push(slot);
    fork(slot);
  }
  return started;
}

/**
 * Sends `message` to a worker; false when its channel is already closed. A
 * worker can exit between the check and the write: the callback takes that
 * EPIPE, which without one is an 'error' event on the Worker and, unhandled,
 * ends the primary.
 */
function tellWorker(worker: Worker, message: object): boolean {
  if (!worker.isConnected()) return false;
  worker.send(message, undefined, () => {});
  return true;
}

function isMessage(message: unknown, kind: string): boolean {
  return typeof message === 'object' && message !== null && (message as { pagi?: unknown }).pagi === kind;
}
