// A slow reader: downloads `bytes` from the URL but never faster than `mbps`, pausing the response
// whenever it gets ahead, so the server must hold back (backpressure) instead of buffering.
// Usage: node slow-download.mjs <url> <bytes> <mbps>; prints {"bytes":…,"seconds":…,"status":…}.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const [url, bytesArg, mbpsArg] = process.argv.slice(2);
const expected = Number(bytesArg);
const bytesPerMs = (Number(mbpsArg) * 1024 * 1024) / 1000;

const started = performance.now();
const request = http.get(`${url}?bytes=${expected}`, { agent: false }, (res) => {
  let received = 0;
  res.on('data', (chunk) => {
    received += chunk.length;
    const aheadMs = received / bytesPerMs - (performance.now() - started);
    if (aheadMs > 1) {
      res.pause();
      setTimeout(() => res.resume(), aheadMs);
    }
  });
  res.on('end', () => {
    const seconds = (performance.now() - started) / 1000;
    console.log(JSON.stringify({ status: res.statusCode, bytes: received, expected, seconds }));
  });
  res.on('error', fail);
});
request.on('error', fail);

function fail(error) {
  console.log(JSON.stringify({ error: error.message }));
  process.exit(1);
}
