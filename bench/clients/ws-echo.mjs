// WebSocket echo load: `connections` sockets, each in a closed loop (send a message, wait for its
// echo, send the next). Measures only the window after every socket is open.
//
// Deliberately not the `ws` client: with one CPU for all clients, ws's per-message work (masking,
// UTF-8 checks, events) made the client the bottleneck (the `ws` server idled at 40 % CPU). This
// client writes one precomputed masked frame and only counts the echoed frames, so the server is
// what saturates. The all-zero mask key is legal (RFC 6455 §5.3); servers still unmask.
// Usage: node ws-echo.mjs <url> <connections> <seconds> <bytes>; prints rate and latency (ms).
import { performance } from 'node:perf_hooks';
import { closeRawWebSocket, openRawWebSocket } from '../lib/raw-websocket.mjs';
import { percentileOfSorted } from '../lib/stats.mjs';

const [url, connectionsArg, secondsArg, bytesArg] = process.argv.slice(2);
const connections = Number(connectionsArg);
const seconds = Number(secondsArg);
const payloadBytes = Number(bytesArg);
if (payloadBytes >= 126) throw new Error('this client frames messages below 126 bytes only');

const FIN_TEXT = 0x81;
const MASKED = 0x80;
const frame = Buffer.concat([Buffer.from([FIN_TEXT, MASKED | payloadBytes, 0, 0, 0, 0]), Buffer.alloc(payloadBytes, 0x78)]);

const latencies = [];
let errors = 0;
let measuring = false;
let stopping = false;

function open() {
  return openRawWebSocket(url.replace(/^ws/, 'http'));
}

/** Consumes complete server frames from `buffer`; returns [messages, rest]. */
function takeFrames(buffer) {
  let offset = 0;
  let messages = 0;
  for (;;) {
    if (buffer.length - offset < 2) break;
    const length7 = buffer[offset + 1] & 0x7f;
    let header = 2;
    let length = length7;
    if (length7 === 126) {
      if (buffer.length - offset < 4) break;
      length = buffer.readUInt16BE(offset + 2);
      header = 4;
    } else if (length7 === 127) {
      if (buffer.length - offset < 10) break;
      length = Number(buffer.readBigUInt64BE(offset + 2));
      header = 10;
    }
    if (buffer.length - offset < header + length) break;
    if ((buffer[offset] & 0x0f) === 0x1) messages++;
    offset += header + length;
  }
  return [messages, offset === 0 ? buffer : buffer.subarray(offset)];
}

function loop({ socket, head }) {
  socket.setNoDelay(true);
  let pending = head.length > 0 ? head : Buffer.alloc(0);
  let sentAt = performance.now();
  socket.on('data', (chunk) => {
    const [messages, rest] = takeFrames(pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk);
    pending = rest;
    for (let i = 0; i < messages; i++) {
      if (measuring) latencies.push(performance.now() - sentAt);
      if (stopping) return;
      sentAt = performance.now();
      socket.write(frame);
    }
  });
  socket.on('error', () => errors++);
  socket.write(frame);
}


const sessions = await Promise.all(Array.from({ length: connections }, open));
for (const session of sessions) loop(session);
// A short settle so every loop runs before the window opens.
await new Promise((resolve) => setTimeout(resolve, 200));
measuring = true;
const started = performance.now();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
measuring = false;
stopping = true;
const elapsed = (performance.now() - started) / 1000;
const count = latencies.length;
latencies.sort((a, b) => a - b);
await Promise.all(sessions.map(closeRawWebSocket));
console.log(
  JSON.stringify({
    rate: count / elapsed,
    p50: percentileOfSorted(latencies, 0.5),
    p99: percentileOfSorted(latencies, 0.99),
    failures: errors,
  }),
);
