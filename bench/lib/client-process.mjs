// Runs a client script (bench/clients) in its own process pinned to the client CPU and returns the
// JSON object it prints as its last stdout line.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { config } from './config.mjs';

export function runClient(script, args, deadlineMs) {
  const file = fileURLToPath(new URL(`../clients/${script}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', config.clientCpu, process.execPath, file, ...args.map(String)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text) => {
      stdout += text;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not finish within ${deadlineMs} ms`));
    }, deadlineMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`${script} exited with ${code}: ${last}`));
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`${script} printed no result: ${stdout.slice(0, 500)}`));
      }
    });
  });
}
