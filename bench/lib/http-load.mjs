// Picks the HTTP load generator: wrk when present (the script installs Debian's package when it can),
// autocannon otherwise or when BENCH_LOADGEN=autocannon.
import { execFileSync } from 'node:child_process';
import { loadTest as autocannonLoadTest } from './autocannon.mjs';
import { wrkLoadTest } from './wrk.mjs';

function hasWrk() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // `wrk --version` exits non-zero after printing its version; only a missing binary is ENOENT.
    return error.code !== 'ENOENT';
  }
}

/** Installs wrk from Debian's packages when running as root; returns whether wrk is usable. */
export function ensureWrk() {
  if (hasWrk()) return true;
  if (process.getuid?.() !== 0) return false;
  console.error('  installing wrk (apt-get install -y wrk)');
  try {
    execFileSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'ignore' });
  } catch {
    return false;
  }
  return hasWrk();
}

export const loadGenerator = process.env.BENCH_LOADGEN === 'autocannon' || !hasWrk() ? 'autocannon' : 'wrk';

export function httpLoad(options) {
  return loadGenerator === 'wrk' ? wrkLoadTest(options) : autocannonLoadTest(options);
}

export function loadGeneratorLabel(connections) {
  return loadGenerator === 'wrk'
    ? `wrk -t1 -c${connections} (one thread)`
    : `autocannon -c ${connections} (programmatic API)`;
}
