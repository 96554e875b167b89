// The HTTP load generator: autocannon's programmatic API, running in this (client-pinned) process.
import autocannon from 'autocannon';

/** One autocannon run; returns request rate, byte rate, latency percentiles (ms) and failures. */
export async function loadTest({ url, seconds, connections, method = 'GET', body, headers }) {
  const result = await autocannon({
    url,
    duration: seconds,
    connections,
    method,
    body,
    headers,
    timeout: 30,
  });
  const elapsed = result.duration > 0 ? result.duration : seconds;
  return {
    rate: result.requests.total / elapsed,
    bytesPerSecond: result.throughput.total / elapsed,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.errors + result.timeouts + result.non2xx,
  };
}
