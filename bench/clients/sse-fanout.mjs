// SSE fan-out client: opens `clients` event streams and waits until all are connected. The window
// is `seconds` of broadcast time starting at the first tick that follows: every event whose
// server timestamp falls inside it is counted, with its lag (receipt time − that timestamp; both
// clocks are performance.timeOrigin + now() on the same machine), and stragglers get a grace
// second to arrive. Anchoring the window on broadcast time makes ticks × clients the exact ideal.
// Usage: node sse-fanout.mjs <url> <clients> <seconds>; prints rate, lag percentiles, failures.
import { performance } from 'node:perf_hooks';
import { openEventStream } from '../lib/event-stream.mjs';
import { percentileOfSorted } from '../lib/stats.mjs';

const [url, clientsArg, secondsArg] = process.argv.slice(2);
const clientCount = Number(clientsArg);
const seconds = Number(secondsArg);
// Connecting a thousand sockets at once would overflow the listen backlog; go in batches.
const CONNECT_BATCH = 100;
const GRACE_MS = 1000;

const lags = [];
const ticks = new Set();
let measuring = false;
let windowStart = Infinity;
let windowEnd = Infinity;
let failures = 0;
const requests = [];

function onEvents(text) {
  if (!measuring) return;
  const now = performance.timeOrigin + performance.now();
  let at = text.indexOf('data: ');
  while (at !== -1) {
    const end = text.indexOf('\n', at);
    const { seq, t } = JSON.parse(text.slice(at + 6, end));
    if (windowStart === Infinity) {
      windowStart = t;
      windowEnd = t + seconds * 1000;
    }
    if (t >= windowStart && t < windowEnd) {
      lags.push(now - t);
      ticks.add(seq);
    }
    at = text.indexOf('data: ', end);
  }
}

async function connect() {
  const request = await openEventStream(url, {
    onEvents,
    onFailure: (kind) => {
      if (kind === 'refused' || measuring) failures++;
    },
  });
  if (request) requests.push(request);
  return request !== undefined;
}

let connected = 0;
for (let i = 0; i < clientCount; i += CONNECT_BATCH) {
  const batch = await Promise.all(Array.from({ length: Math.min(CONNECT_BATCH, clientCount - i) }, connect));
  connected += batch.filter(Boolean).length;
}
// Skip the partial first tick so every client is measured over whole ticks.
await new Promise((resolve) => setTimeout(resolve, 150));
measuring = true;
await new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 200 + GRACE_MS));
measuring = false;
for (const request of requests) request.destroy();
lags.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    rate: lags.length / seconds,
    delivered: lags.length / (ticks.size * clientCount),
    p50: percentileOfSorted(lags, 0.5),
    p99: percentileOfSorted(lags, 0.99),
    connected,
    failures: failures + (clientCount - connected),
  }),
);
