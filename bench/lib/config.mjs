// Run-wide settings: every knob comes from the environment or `--quick`, so the exact command line
// recorded in the results is enough to reproduce a run.

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';

function numberFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return value;
}

export const config = {
  quick,
  rounds: numberFromEnv('BENCH_ROUNDS', quick ? 1 : 5),
  seconds: numberFromEnv('BENCH_SECONDS', quick ? 1 : 5),
  warmupSeconds: numberFromEnv('BENCH_WARMUP', quick ? 1 : 3),
  connections: numberFromEnv('BENCH_CONNECTIONS', 100),
  profile: process.env.BENCH_PROFILE === '1',
  /** CPU the servers run on, and the CPU of the load generators and clients. */
  serverCpu: process.env.BENCH_SERVER_CPU ?? '1',
  clientCpu: process.env.BENCH_CLIENT_CPU ?? '0',
  // Scenario sizes; quick mode shrinks them so a smoke run of everything takes about a minute.
  memoryBytes: numberFromEnv('BENCH_MEMORY_MB', quick ? 64 : 1024) * 1024 * 1024,
  slowClientMBps: numberFromEnv('BENCH_SLOW_MBPS', quick ? 200 : 100),
  sseClients: numberFromEnv('BENCH_SSE_CLIENTS', quick ? 100 : 1000),
  sseSeconds: numberFromEnv('BENCH_SSE_SECONDS', quick ? 2 : 10),
  sseRounds: numberFromEnv('BENCH_SSE_ROUNDS', quick ? 1 : 3),
  wsConnections: numberFromEnv('BENCH_WS_CONNECTIONS', 50),
};
