// Shared by run-example.mjs and start-demo.mjs: find the examples and run one as a child process.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const examplesDir = join(repoRoot, 'examples');

/** Every folder under examples/ that has a server.ts, sorted by name. */
export function listExamples() {
  return readdirSync(examplesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(examplesDir, entry.name, 'server.ts')))
    .map((entry) => entry.name)
    .sort();
}

/**
 * Runs `examples/<name>/server.ts` with tsx, which honours the tsconfig `paths` that map
 * `pagi`, `pagi/server` and `pagi/testing` to the sources, so no build step is needed.
 * Resolves with the child's exit code (128 + signal number when a signal ended it).
 */
export function runExample(name, extraArgs = []) {
  const entry = join(examplesDir, name, 'server.ts');
  // example-entry.mjs imports the entry and turns a busy port into one line instead of a stack trace.
  const runner = join(repoRoot, 'scripts', 'example-entry.mjs');
  const child = spawn(process.execPath, ['--import', 'tsx', runner, entry, name, ...extraArgs], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: process.env,
    // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and the server
    // treats a second SIGINT as "force exit now". Detached, the child hears each signal exactly once,
    // from the forwarding below, whether it came from a terminal, `kill <pid>` or a process manager.
    detached: true,
  });

  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, forward);

  return new Promise((resolve) => {
    child.on('error', (error) => {
      console.error(`could not start example '${name}': ${error.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      for (const s of signals) process.off(s, forward);
      resolve(code ?? 128 + (signal ? signalNumber(signal) : 0));
    });
  });
}

function signalNumber(signal) {
  return { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal] ?? 0;
}
