// The default HTTP load generator: wrk (C, one thread). On this machine it drives about 1.4× the
// request rate autocannon can from one core, so the server, not the generator, is the bottleneck.
// A generated Lua script sets method and body and prints the summary as one JSON line.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const scriptDir = mkdtempSync(path.join(os.tmpdir(), 'pagi-bench-wrk-'));
let scriptCount = 0;

const SUMMARY_LUA = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('PAGI-BENCH {"requests":%d,"micros":%d,"bytes":%d,"p50":%d,"p99":%d,"errors":%d,"status":%d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
`;

function luaScript(method, body, headers) {
  const lines = [`wrk.method = ${JSON.stringify(method)}`];
  if (body !== undefined) {
    const bodyFile = path.join(scriptDir, `body-${scriptCount}.bin`);
    writeFileSync(bodyFile, body);
    lines.push(`local f = assert(io.open(${JSON.stringify(bodyFile)}, "rb"))`, 'wrk.body = f:read("*a")', 'f:close()');
  }
  for (const [name, value] of Object.entries(headers ?? {})) {
    lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  }
  const file = path.join(scriptDir, `script-${scriptCount++}.lua`);
  writeFileSync(file, `${lines.join('\n')}\n${SUMMARY_LUA}`);
  return file;
}

const scripts = new Map();

export function wrkLoadTest({ url, seconds, connections, method = 'GET', body, headers }) {
  const key = `${method}|${body?.length ?? 0}|${JSON.stringify(headers ?? {})}`;
  if (!scripts.has(key)) scripts.set(key, luaScript(method, body, headers));
  const args = ['-t1', `-c${connections}`, `-d${Math.max(1, Math.round(seconds))}s`, '--timeout', '30s', '-s', scripts.get(key), url];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error) return reject(error);
      const line = stdout.split('\n').find((l) => l.startsWith('PAGI-BENCH '));
      if (line === undefined) return reject(new Error(`wrk printed no summary:\n${stdout}`));
      const summary = JSON.parse(line.slice('PAGI-BENCH '.length));
      const elapsed = summary.micros / 1e6;
      resolve({
        rate: summary.requests / elapsed,
        bytesPerSecond: summary.bytes / elapsed,
        p50: summary.p50 / 1000,
        p99: summary.p99 / 1000,
        failures: summary.errors + summary.status,
      });
    });
  });
}
