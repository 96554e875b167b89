// The shape shared by the HTTP load scenarios: start the targets, measure one or more request kinds
// in interleaved rounds, print one table per kind with ratios against the baselines of the same run.
import { config } from './config.mjs';
import { httpLoad, loadGeneratorLabel } from './http-load.mjs';
import { medians, pairedRatio, runInterleaved } from './rounds.mjs';
import { formatNumber, formatRatio, markdownTable, saveScenario, settingsLine } from './report.mjs';
import { startTargets, stopTargets } from './target.mjs';
import { profileTargets } from '../profile/profile-targets.mjs';

const MB = 1024 * 1024;
const DEFAULT_LATENCY = [
  ['p50', 'p50 ms'],
  ['p99', 'p99 ms'],
];

/**
 * kinds: [{ key, title, request: { method, path?, body, headers }, connections, unit: 'req/s' | 'MB/s',
 *           megabytesPerRequest?, baselines: [{ name, label }] }]
 * With unit 'MB/s' the rate is response bytes per second, or requests × `megabytesPerRequest`
 * when that is given (uploads, where the interesting bytes are the ones sent).
 * `profile: { kind, names }` profiles those targets under that kind's load when BENCH_PROFILE=1.
 * `kind.loader: { run, label, latency }` replaces wrk/autocannon (h2load for HTTP/2): `run` takes
 * httpLoad's options, `label(connections)` names it, `latency` lists its [field, column] pairs.
 */
export async function httpScenario({ scenario, targets: allTargets, kinds, profile: declared }) {
  // BENCH_TARGETS=a,b: only those targets (keep the baselines in the list for the ratios); a
  // profiled run (BENCH_PROFILE=1) then profiles exactly those.
  const only = process.env.BENCH_TARGETS?.split(',').filter((name) => name !== '');
  const targets = only === undefined ? allTargets : allTargets.filter((target) => only.includes(target.name));
  const profile = only === undefined || declared === undefined ? declared : { ...declared, names: targets.map((target) => target.name) };
  const { running, failed } = await startTargets(scenario, targets);
  const sections = [];
  const data = { targets, failed, kinds: {} };
  try {
    for (const kind of kinds) {
      const samples = await runInterleaved(running, measurerFor(kind), { ...config, scenario: `${scenario}/${kind.key}` });
      sections.push(tableFor(kind, running, failed, samples));
      data.kinds[kind.key] = Object.fromEntries(samples);
    }
  } finally {
    await stopTargets(running);
  }
  saveScenario(scenario, sections.join('\n\n'), data);
  if (config.profile && profile !== undefined) {
    const kind = kinds.find((k) => k.key === profile.kind);
    await profileTargets(scenario, profile.names, measurerFor(kind));
  }
}

function measurerFor(kind) {
  return async function measure(target, seconds) {
    const { path = '/', ...request } = kind.request;
    const sample = await (kind.loader?.run ?? httpLoad)({ url: new URL(path, target.server.url).href, seconds, connections: kind.connections, ...request });
    if (kind.unit === 'MB/s') {
      sample.mbps = kind.megabytesPerRequest ? sample.rate * kind.megabytesPerRequest : sample.bytesPerSecond / MB;
    }
    return sample;
  };
}

function tableFor(kind, running, failed, samples) {
  const metric = kind.unit === 'MB/s' ? 'mbps' : 'rate';
  const header = ['target', kind.unit];
  if (kind.unit === 'MB/s') header.push('req/s');
  for (const baseline of kind.baselines) header.push(`vs ${baseline.label}`);
  const latency = kind.loader?.latency ?? DEFAULT_LATENCY;
  header.push(...latency.map(([, column]) => column), 'server CPU', 'CPU µs/req');
  for (const baseline of kind.baselines) header.push(`per CPU vs ${baseline.label}`);
  header.push('errors');
  const rows = running.map((target) => {
    const m = medians(samples.get(target.name));
    const row = [target.label, formatNumber(m[metric], kind.unit === 'MB/s' ? 1 : 0)];
    if (kind.unit === 'MB/s') row.push(formatNumber(m.rate, 1));
    for (const baseline of kind.baselines) row.push(formatRatio(pairedRatio(samples, target.name, baseline.name, metric)));
    row.push(...latency.map(([field]) => formatNumber(m[field], 1)), `${formatNumber(m.serverCpu * 100)} %`, formatNumber(m.cpuMicros, 1));
    for (const baseline of kind.baselines) row.push(formatRatio(pairedRatio(samples, target.name, baseline.name, 'perCpuSecond')));
    row.push(formatNumber(m.failures));
    return row;
  });
  for (const target of failed) rows.push([target.label, `not run: ${target.reason}`, ...header.slice(2).map(() => '')]);
  return [
    `### ${kind.title}, ${(kind.loader?.label ?? loadGeneratorLabel)(kind.connections)}`,
    '',
    markdownTable(header, rows),
    '',
    `${settingsLine()}. "per CPU" compares requests per second of server CPU (1 / CPU µs per request): the ratio the servers would show if the server, not the single-core load generator, were the bottleneck.`,
  ].join('\n');
}
