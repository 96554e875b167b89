// Channels fan-out client: opens `clients` SSE streams spread over the servers' URLs (fresh
// connections, so a multi-worker server spreads them over its workers), reads the servers' RSS once
// all are subscribed, then publishes `rate` messages a second for `seconds`, each through the next
// URL in turn (POST /publish, one keep-alive connection per URL), carrying its sequence number and
// send time. Every client counts what it receives and when; stragglers get a grace period.
// Usage: node channels-fanout.mjs <url,url,...> <clients> <rate> <seconds> <pid,pid,...>
// Prints one JSON line: published, delivered (fraction), lag p50/p99 (ms), RSS before/after, failures.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { openEventStream } from '../lib/event-stream.mjs';
import { percentileOfSorted } from '../lib/stats.mjs';

const [urlsArg, clientsArg, rateArg, secondsArg, pidsArg = ''] = process.argv.slice(2);
const urls = urlsArg.split(',');
const clientCount = Number(clientsArg);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const pids = pidsArg.split(',').filter(Boolean).map(Number);
const CONNECT_BATCH = 50;
const GRACE_MS = 2000;
const now = () => performance.timeOrigin + performance.now();

function rssBytes() {
  let total = 0;
  for (const pid of pids) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      total += Number(match?.[1] ?? 0) * 1024;
    } catch {
      // gone
    }
  }
  return total;
}

const lags = [];
let failures = 0;
let measuring = true;
const requests = [];

function onEvents(block) {
  const at = now();
  for (const match of block.matchAll(/^data: (.*)$/gm)) lags.push(at - JSON.parse(match[1]).t);
}

// The response head is sent once the subscription is active, so "connected" means "subscribed".
async function connect(url) {
  const request = await openEventStream(`${url}/events`, {
    onEvents,
    onFailure: (kind) => {
      if (kind !== 'ended' || measuring) failures++;
    },
  });
  if (request) requests.push(request);
  return request !== undefined;
}

let connected = 0;
for (let i = 0; i < clientCount; i += CONNECT_BATCH) {
  const batch = await Promise.all(Array.from({ length: Math.min(CONNECT_BATCH, clientCount - i) }, (_, j) => connect(urls[(i + j) % urls.length])));
  connected += batch.filter(Boolean).length;
}
await new Promise((resolve) => setTimeout(resolve, 500));
const rssSubscribed = rssBytes();

const agents = urls.map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
function publish(seq) {
  const index = seq % urls.length;
  return new Promise((resolve) => {
    const body = JSON.stringify({ seq, t: now() });
    const request = http.request(`${urls[index]}/publish`, { method: 'POST', agent: agents[index], headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 204));
    });
    request.on('error', () => resolve(false));
    request.end(body);
  });
}

// A fixed schedule: message n leaves at start + n / rate, whatever the previous ones did.
const total = Math.round(rate * seconds);
const start = now();
const publishing = [];
for (let seq = 0; seq < total; seq++) {
  const wait = start + (seq * 1000) / rate - now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  publishing.push(publish(seq));
}
const published = (await Promise.all(publishing)).filter(Boolean).length;
await new Promise((resolve) => setTimeout(resolve, GRACE_MS));
measuring = false;
const rssEnd = rssBytes();
for (const request of requests) request.destroy();
for (const agent of agents) agent.destroy();
lags.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    published,
    publishFailures: total - published,
    delivered: lags.length / (published * connected || 1),
    p50: percentileOfSorted(lags, 0.5),
    p99: percentileOfSorted(lags, 0.99),
    connected,
    failures: failures + (clientCount - connected),
    rssSubscribed,
    rssEnd,
  }),
);
