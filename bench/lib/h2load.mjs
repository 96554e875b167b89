// The HTTP/2 load generator: h2load (Debian's nghttp2-client; C, one thread). Cleartext URLs are
// h2c with prior knowledge. It prints no latency percentiles, only min/max/mean/sd per request,
// so its samples carry `meanMs` and `maxMs` instead of p50/p99.
import { execFile } from 'node:child_process';

/** Streams in flight per connection (h2load `-m`): HTTP/2's point is many requests per connection. */
export const H2_STREAMS = 10;

const UNIT_MS = { us: 0.001, ms: 1, s: 1000 };

function milliseconds(text) {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text);
  return match ? Number(match[1]) * UNIT_MS[match[2]] : NaN;
}

/** Parses h2load's summary (nghttp2 1.52's format). */
export function parseH2load(stdout) {
  const finished = /finished in ([\d.]+)s/.exec(stdout);
  const requests = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(stdout);
  const status = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(stdout);
  const traffic = /traffic: [^(]+\((\d+)\) total/.exec(stdout);
  const latency = /time for request:\s+(\S+)\s+(\S+)\s+(\S+)/.exec(stdout);
  if (!finished || !requests || !status || !traffic || !latency) throw new Error(`cannot read h2load's summary:\n${stdout}`);
  const elapsed = Number(finished[1]);
  const succeeded = Number(requests[4]);
  // A server that died or never answered: a failed sample, not a rate of 0 with no errors.
  if (succeeded === 0) throw new Error(`h2load: no request succeeded (${requests[0]})`);
  return {
    rate: succeeded / elapsed,
    bytesPerSecond: Number(traffic[1]) / elapsed,
    meanMs: milliseconds(latency[3]),
    maxMs: milliseconds(latency[2]),
    failures: Number(requests[5]) + Number(requests[6]) + Number(requests[7]) + Number(status[2]) + Number(status[3]) + Number(status[4]),
  };
}

export function h2loadTest({ url, seconds, connections }) {
  const args = ['-c', String(connections), '-m', String(H2_STREAMS), '-D', String(Math.max(1, Math.round(seconds))), url];
  return new Promise((resolve, reject) => {
    execFile('h2load', args, { maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error) return reject(error);
      try {
        resolve(parseH2load(stdout));
      } catch (problem) {
        reject(problem);
      }
    });
  });
}

export function h2loadLabel(connections) {
  return `h2load -c ${connections} -m ${H2_STREAMS} (h2c, one thread)`;
}
