// Parent side of a benchmark server: one child process per target, pinned to the server CPU with
// taskset (which execs node, so the child's pid is the server's pid, and /proc tells its CPU time).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { config } from './config.mjs';
import { serverEntryArgs } from './build.mjs';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const START_DEADLINE_MS = 30_000;
const STOP_DEADLINE_MS = 10_000;
const CLOCK_TICKS_PER_SECOND = 100;

/** The command line of a server child, also printed in the results as the exact command. */
export async function serverCommand(scenario, name, profileDir) {
  const { args } = await serverEntryArgs();
  // One profile per thread lands in the directory (tsx's loader, when used, is a worker thread).
  const profiling = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  return ['taskset', '-c', config.serverCpu, process.execPath, ...profiling, ...args, scenario, name];
}

function waitForMessage(child, type, deadlineMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no '${type}' from the server within ${deadlineMs} ms`)), deadlineMs);
    function onMessage(message) {
      if (message.type === type) finish(undefined, message);
      else if (message.type === 'failed') finish(new Error(message.error));
    }
    function onExit(code) {
      finish(new Error(`server exited (code ${code}) before '${type}'`));
    }
    function finish(error, message) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Server CPU seconds (user + system) so far, from /proc/<pid>/stat. */
function cpuSeconds(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return NaN; // the server is gone; its samples are failures already
  }
  // The command name (field 2) may contain spaces; fields are counted after its closing paren.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

export async function startTarget(scenario, name, { profileDir } = {}) {
  const [command, ...args] = await serverCommand(scenario, name, profileDir);
  const child = spawn(command, args, {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  let ready;
  try {
    ready = await waitForMessage(child, 'ready', START_DEADLINE_MS);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    name,
    port: ready.port,
    readyMicros: ready.readyMicros,
    pid: child.pid,
    url: `http://127.0.0.1:${ready.port}/`,
    cpuSeconds: () => cpuSeconds(child.pid),
    async resetRss() {
      child.send({ type: 'rss-reset' });
      return waitForMessage(child, 'rss-reset', STOP_DEADLINE_MS);
    },
    async rss() {
      child.send({ type: 'rss' });
      return waitForMessage(child, 'rss', STOP_DEADLINE_MS);
    },
    /** Reads the kernel's own peak-RSS mark, as a cross-check of the in-process samples. */
    vmHwmBytes() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const match = /VmHWM:\s+(\d+) kB/.exec(status);
      return match ? Number(match[1]) * 1024 : undefined;
    },
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_DEADLINE_MS);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        if (child.connected) child.send({ type: 'stop' });
        else child.kill('SIGTERM');
      });
    },
  };
}

/** Starts every named target; a target that fails to start is reported and left out. */
export async function startTargets(scenario, targets, options) {
  const running = [];
  const failed = [];
  for (const target of targets) {
    try {
      running.push({ ...target, server: await startTarget(scenario, target.name, options) });
    } catch (error) {
      const reason = String(error.message).split('\n')[0].slice(0, 160);
      console.error(`  ! ${scenario}/${target.name} did not start: ${reason}`);
      failed.push({ ...target, reason });
    }
  }
  return { running, failed };
}

export async function stopTargets(running) {
  await Promise.all(running.map((target) => target.server.stop()));
}
