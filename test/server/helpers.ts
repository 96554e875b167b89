/**
 * Shared helpers of the server tests: deadlines for every wait, raw sockets,
 * child processes that are always reaped.
 */
import { once } from 'node:events';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = path.join(ROOT, 'src/server/cli.ts');
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** Rejects when `promise` does not settle within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Polls `check` until it returns true; rejects after `ms`. */
export async function waitFor(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A promise with its resolve function, for handing values out of apps. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Opens a TCP connection to 127.0.0.1:port. */
export async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await within(once(socket, 'connect'), 5000, 'connect');
  return socket;
}

/** Collects everything a socket sends until it closes (or the deadline). */
export function readAll(socket: net.Socket, ms = 5000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  return within(
    new Promise<Buffer>((resolve) => socket.once('close', () => resolve(Buffer.concat(chunks)))),
    ms,
    'socket close',
  );
}

export interface Child {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal name) within `ms`. */
  exited(ms?: number): Promise<number | string>;
  /** Resolves once stdout+stderr match `pattern`. */
  waitOutput(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  kill(): void;
}

const children = new Set<ChildProcess>();

/** Runs the CLI from source (through tsx) with `args`. */
export function runCli(args: string[], env: Record<string, string> = {}): Child {
  return spawnNode(['--import', 'tsx', CLI, ...args], env);
}

export function spawnNode(args: string[], env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let out = '';
  let err = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => {
      children.delete(proc);
      resolve(code ?? signal ?? -1);
    });
  });
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited: (ms = 20_000) => within(exit, ms, 'child exit'),
    async waitOutput(pattern, ms = 20_000) {
      let match: RegExpMatchArray | null = null;
      await waitFor(() => (match = (out + err).match(pattern)) !== null, ms, `output ${pattern} (got: ${out}${err})`);
      return match as unknown as RegExpMatchArray;
    },
    kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}

/** Kills every child still running (call in afterEach). */
export function killChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}
