// Interleaved rounds: every target is measured once per round, in an order rotated each round, so
// slow drift of the machine (thermal, other tenants) spreads over all targets instead of one.
import { performance } from 'node:perf_hooks';
import { median } from './stats.mjs';

function rotated(list, by) {
  const shift = by % list.length;
  return [...list.slice(shift), ...list.slice(0, shift)];
}

/**
 * `measure(target, seconds)` returns one sample (an object of numbers). Adds `serverCpu`: the
 * fraction of one CPU the server used during the sample (near 1.0 means the server was the
 * bottleneck, well below means the load generator or the network path was), and `cpuMicros`,
 * the server CPU time per unit of `rate` (clock ticks of 10 ms: meaningful over seconds).
 */
export async function runInterleaved(targets, measure, { rounds, seconds, warmupSeconds, scenario }) {
  for (const target of targets) {
    console.error(`  warm-up ${scenario}/${target.name} (${warmupSeconds} s)`);
    await measureSafely(measure, target, warmupSeconds);
  }
  const samples = new Map(targets.map((target) => [target.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const target of rotated(targets, round)) {
      const cpuBefore = target.server.cpuSeconds();
      const started = performance.now();
      const sample = await measureSafely(measure, target, seconds);
      const elapsed = (performance.now() - started) / 1000;
      const cpuUsed = target.server.cpuSeconds() - cpuBefore;
      sample.serverCpu = cpuUsed / elapsed;
      // Server CPU per request (message, event): what the ratio would be if the server were the
      // only bottleneck; `rate` over `seconds` is what the load generator got through.
      sample.cpuMicros = (cpuUsed / (sample.rate * seconds)) * 1e6;
      sample.perCpuSecond = 1e6 / sample.cpuMicros;
      samples.get(target.name).push(sample);
      console.error(`  round ${round + 1}/${rounds} ${scenario}/${target.name}: ${describe(sample)}`);
    }
  }
  return samples;
}

/** A failed sample (a crashed server, a client that gave up) is recorded as NaN and reported, not fatal. */
async function measureSafely(measure, target, seconds) {
  try {
    return await measure(target, seconds);
  } catch (error) {
    console.error(`  ! ${target.name}: ${String(error.message).split('\n')[0]}`);
    return { rate: NaN, failures: 1 };
  }
}

function describe(sample) {
  return Object.entries(sample)
    .map(([key, value]) => `${key}=${Number.isInteger(value) ? value : Number(value).toFixed(2)}`)
    .join(' ');
}

/** Median of every numeric field over the rounds of one target. */
export function medians(sampleList) {
  const keys = new Set(sampleList.flatMap((sample) => Object.keys(sample)));
  const result = {};
  for (const key of keys) result[key] = median(sampleList.map((sample) => sample[key]));
  return result;
}

/**
 * Median over rounds of `metric(target) / metric(baseline)`, pairing samples of the same round:
 * steadier than a ratio of medians when the machine drifts between rounds.
 */
export function pairedRatio(samples, targetName, baselineName, metric) {
  const mine = samples.get(targetName) ?? [];
  const base = samples.get(baselineName) ?? [];
  const ratios = [];
  for (let i = 0; i < Math.min(mine.length, base.length); i++) ratios.push(mine[i][metric] / base[i][metric]);
  return median(ratios);
}
