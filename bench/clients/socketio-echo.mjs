// socket.io echo load over the websocket transport: `connections` sockets, each in a closed loop
// (emit 'echo', wait for the server's 'echo' back, emit the next). Measures only the window after
// every socket joined the default namespace.
//
// Like ws-echo.mjs, deliberately not socket.io-client: it writes precomputed masked frames (engine.io
// v4 text packets: `40` connect, `42[...]` event, `3` pong) and only counts the echoed events, so the
// server is what saturates on a shared CPU.
// Usage: node socketio-echo.mjs <url> <connections> <seconds> <bytes>; prints rate and latency (ms).
import { performance } from 'node:perf_hooks';
import { closeRawWebSocket, openRawWebSocket } from '../lib/raw-websocket.mjs';
import { percentileOfSorted } from '../lib/stats.mjs';

const [url, connectionsArg, secondsArg, bytesArg] = process.argv.slice(2);
const connections = Number(connectionsArg);
const seconds = Number(secondsArg);
const payloadBytes = Number(bytesArg);

/** One masked (all-zero key, RFC 6455 §5.3) text frame; payloads below 126 bytes only. */
function textFrame(text) {
  const payload = Buffer.from(text, 'utf8');
  if (payload.length >= 126) throw new Error('this client frames messages below 126 bytes only');
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}
const eventFrame = textFrame(`42${JSON.stringify(['echo', 'x'.repeat(payloadBytes)])}`);
const connectFrame = textFrame('40');
const pongFrame = textFrame('3');

const latencies = [];
let errors = 0;
let measuring = false;
let stopping = false;

function open() {
  return openRawWebSocket(`${url.replace(/^ws/, 'http')}/socket.io/?EIO=4&transport=websocket`);
}

/** Complete server text frames in `buffer` as their first two payload bytes; returns [kinds, rest]. */
function takeFrames(buffer) {
  let offset = 0;
  const kinds = [];
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
    if ((buffer[offset] & 0x0f) === 0x1) kinds.push(buffer.toString('latin1', offset + header, offset + header + Math.min(2, length)));
    offset += header + length;
  }
  return [kinds, offset === 0 ? buffer : buffer.subarray(offset)];
}

/** Joins the namespace, then loops; resolves once the server acknowledged the connect (`40`). */
function loop({ socket, head }) {
  return new Promise((joined) => {
    socket.setNoDelay(true);
    let pending = head;
    let sentAt = 0;
    socket.on('data', (chunk) => {
      const [kinds, rest] = takeFrames(pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk);
      pending = rest;
      for (const kind of kinds) {
        if (kind === '0{') socket.write(connectFrame); // engine.io open: join the default namespace
        else if (kind === '2') socket.write(pongFrame); // engine.io ping
        else if (kind === '40') joined();
        else if (kind === '42') {
          if (measuring) latencies.push(performance.now() - sentAt);
          if (stopping) return;
          sentAt = performance.now();
          socket.write(eventFrame);
        }
      }
    });
    socket.on('error', () => errors++);
    if (head.length > 0) socket.emit('data', Buffer.alloc(0));
  });
}


const sessions = await Promise.all(Array.from({ length: connections }, open));
await Promise.all(sessions.map(loop));
for (const { socket } of sessions) socket.write(eventFrame);
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
