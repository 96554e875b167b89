/**
 * Test support for the examples: runs `examples/<name>/server.ts` as a real child process, exactly as
 * `npm run example -- <name>` does, on a free port (PORT=0), and reports the URL it printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ExampleProcess {
  /** Base URL the server printed, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Resolves once `text` has been printed; rejects after `timeoutMs`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code; SIGKILLs after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

const LISTENING = /listening on (https?:\/\/\S+)/;

/** Starts an example and resolves when it prints `listening on <url>`. */
export async function startExample(
  name: string,
  options: { env?: Record<string, string>; entry?: string; args?: string[]; timeoutMs?: number } = {},
): Promise<ExampleProcess> {
  const entry = options.entry ?? `examples/${name}/server.ts`;
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...(options.args ?? [])], {
    cwd: repoRoot,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    for (const wake of listeners) wake();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = probe();
        if (found !== undefined) {
          done();
          resolve(found);
        } else if (child.exitCode !== null) {
          done();
          reject(new Error(`${name} exited (${child.exitCode}) before ${what}:\n${output}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${name}: no ${what} within ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
        child.off('exit', check);
      };
      listeners.add(check);
      child.on('exit', check);
      check();
    });
  }

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  try {
    const url = await waitFor(() => LISTENING.exec(output)?.[1], 'listening line', options.timeoutMs ?? 20_000);
    return {
      url,
      child,
      output: () => output,
      waitForOutput: (text, timeoutMs = 10_000) =>
        waitFor(() => (output.includes(text) ? true : undefined), `output '${text}'`, timeoutMs).then(() => undefined),
      stop,
    };
  } catch (error) {
    await stop('SIGKILL');
    throw error;
  }
}
