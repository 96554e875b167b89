// Channels fan-out (issue 14): 1,000 SSE subscribers spread over the servers, one message published
// `rate` times a second through the servers in turn, for each layer: memory (1 process), cluster
// (4 workers), Redis (4 workers of one server) and Redis (2 single-process servers). Reports
// delivered %, delivery latency from the publisher's send to the subscriber's receipt (p50/p99),
// and the servers' RSS growth per 1,000 subscribers (every process of a target summed).
// Servers (and redis-server) run from dist/ pinned to the server CPU; the client to the client CPU.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { config } from '../lib/config.mjs';
import { runClient } from '../lib/client-process.mjs';
import { formatNumber, loadNote, markdownTable, saveScenario } from '../lib/report.mjs';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const SERVER = fileURLToPath(new URL('../channels/server.mjs', import.meta.url));

function setting(name, quickValue, fullValue) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return config.quick ? quickValue : fullValue;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return value;
}
const clients = setting('BENCH_CHANNELS_CLIENTS', 100, 1000);
const rate = setting('BENCH_CHANNELS_RATE', 10, 10);
const seconds = setting('BENCH_CHANNELS_SECONDS', 2, 10);

const TARGETS = [
  { name: 'memory', label: 'memory layer, 1 process', layer: 'memory', workers: 1, processes: 1 },
  { name: 'cluster', label: 'cluster layer, 4 workers', layer: 'cluster', workers: 4, processes: 1 },
  { name: 'redis-workers', label: 'redis layer, 4 workers (one server)', layer: 'redis', workers: 4, processes: 1 },
  { name: 'redis-processes', label: 'redis layer, 2 processes (two servers)', layer: 'redis', workers: 1, processes: 2 },
];

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Spawns a child pinned to the server CPU and resolves once its output matches `ready`. */
function startPinned(command, args, env, ready, what) {
  const child = spawn('taskset', ['-c', config.serverCpu, command, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${what}: not ready within 60 s:\n${output}`)), 60_000);
    const onData = (chunk) => {
      output += chunk.toString('utf8');
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    };
    const fail = (error) => {
      child.kill('SIGKILL');
      reject(error);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}):\n${output}`));
    });
  });
}

/** The pid and every descendant's (cluster workers), from /proc. */
function processTree(pid) {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    const taskDir = `/proc/${pids[i]}/task`;
    if (!existsSync(taskDir)) continue;
    for (const task of readdirSync(taskDir)) {
      try {
        pids.push(...readFileSync(`${taskDir}/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
      } catch {
        // the task ended
      }
    }
  }
  return pids;
}

async function stop(children) {
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

async function measure(target) {
  const children = [];
  try {
    let redisUrl;
    if (target.layer === 'redis') {
      const port = await freePort();
      const { child } = await startPinned('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {}, /Ready to accept connections/, 'redis-server');
      children.push(child);
      redisUrl = `redis://127.0.0.1:${port}`;
    }
    const servers = [];
    for (let i = 0; i < target.processes; i++) {
      // taskset execs node, so the child's pid is the server's.
      const env = { CHANNELS_LAYER: target.layer, WORKERS: String(target.workers), PORT: '0', NODE_ENV: 'production', ...(redisUrl ? { REDIS_URL: redisUrl } : {}) };
      const { child, match } = await startPinned(process.execPath, [SERVER], env, /listening on (\S+)/, `${target.name} server`);
      children.push(child);
      servers.push({ child, url: match[1] });
    }
    const pids = servers.flatMap((server) => processTree(server.child.pid));
    const idle = await runClient('channels-fanout.mjs', [servers.map((s) => s.url).join(','), 0, rate, 0.1, pids.join(',')], 60_000).catch(() => undefined);
    const result = await runClient('channels-fanout.mjs', [servers.map((s) => s.url).join(','), clients, rate, seconds, pids.join(',')], seconds * 1000 + 120_000);
    return { ...result, rssIdle: idle?.rssSubscribed, processes: pids.length };
  } finally {
    await stop(children.reverse());
  }
}

if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error('channels: redis-server is not installed; the redis targets will fail');
}
// The servers run the built package: build it now so they measure this checkout.
const built = spawnSync('npx', ['tsup', '--silent'], { cwd: repoRoot, stdio: 'inherit' });
if (built.status !== 0) throw new Error('npm run build failed');

const results = [];
for (const target of TARGETS) {
  console.error(`channels: ${target.label}`);
  try {
    results.push({ target, result: await measure(target) });
  } catch (error) {
    results.push({ target, error: error instanceof Error ? error.message.split('\n')[0] : String(error) });
  }
}

const rows = results.map(({ target, result, error }) => {
  if (error) return [target.label, `not run: ${error}`, '', '', '', '', '', ''];
  const growth = result.rssIdle === undefined ? NaN : result.rssSubscribed - result.rssIdle;
  return [
    target.label,
    formatNumber(result.processes),
    `${formatNumber(result.delivered * 100, 2)} %`,
    formatNumber(result.p50, 1),
    formatNumber(result.p99, 1),
    `${formatNumber(result.rssSubscribed / 2 ** 20, 1)} MB`,
    `${formatNumber((growth / 2 ** 20) * (1000 / clients), 1)} MB`,
    `${formatNumber(result.connected)} / ${formatNumber(result.failures + result.publishFailures)}`,
  ];
});
const markdown = [
  `### channels fan-out — ${formatNumber(clients)} SSE subscribers, ${formatNumber(rate)} messages/s for ${formatNumber(seconds)} s (ideal ${formatNumber(clients * rate)} deliveries/s)`,
  '',
  markdownTable(['target', 'server processes', 'delivered', 'latency p50 ms', 'latency p99 ms', 'RSS subscribed', 'RSS growth / 1,000 subscribers', 'connected / errors'], rows),
  '',
  `one round per target; latency = receipt by the subscriber − send time of the POST /publish (same clock); delivered = deliveries ÷ (messages published × subscribers); RSS = every process of the target (primary and workers; redis-server not included), growth = with the subscribers connected − idle; servers and redis-server pinned to CPU ${config.serverCpu}, the client (subscribers and publisher in one process) to CPU ${config.clientCpu}; ${loadNote()}`,
].join('\n');
saveScenario('channels', markdown, { targets: TARGETS, clients, rate, seconds, results });
