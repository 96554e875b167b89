// The short summary for the top of bench/README.md (and the project README): the targets
// with verdicts, the hello table, and one line each for memory, WebSocket and SSE. Built from the
// raw per-scenario JSON, so it always matches the tables of the same run.
import { existsSync, readFileSync } from 'node:fs';
import { medians, pairedRatio } from './rounds.mjs';
import { formatNumber, formatRatio, markdownTable } from './report.mjs';

const MB = 1024 * 1024;

function load(resultsDir, scenario) {
  const file = `${resultsDir}${scenario}.json`;
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

function asMap(record) {
  return new Map(Object.entries(record ?? {}));
}

function verdict(met) {
  if (met === undefined) return 'not measured';
  return met ? '**met**' : '**not met**';
}

export function buildSummary(resultsDir) {
  const rows = [];
  const lines = [];
  const hello = load(resultsDir, 'hello');
  const helloSamples = asMap(hello?.kinds?.hello);
  const ratio = (samples, target, baseline, metric = 'rate') =>
    samples.has(target) && samples.has(baseline) ? pairedRatio(samples, target, baseline, metric) : undefined;

  // Verdicts need both: the measured throughput ratio and the per-server-CPU ratio (what the
  // throughput ratio becomes once the server, not the one-core load generator, is the limit).
  const targetRow = (label, goal, samples, target, baseline, ok) => {
    const measured = ratio(samples, target, baseline);
    const perCpu = ratio(samples, target, baseline, 'perCpuSecond');
    const known = measured !== undefined && Number.isFinite(measured);
    rows.push([label, goal, formatRatio(measured), formatRatio(perCpu), verdict(known ? ok(measured) && ok(perCpu) : undefined)]);
    return measured;
  };
  targetRow('hello: Express via `toNodeListener(fromExpress(app))` vs native Express', '≥ 0.90×', helloSamples, 'express-bridged', 'express', (r) => r >= 0.9);
  targetRow('hello: PAGI app on `serve()` vs raw node:http', '≥ 0.90×', helloSamples, 'pagi-serve', 'raw', (r) => r >= 0.9);
  targetRow('hello: PAGI app on `serve()` vs native Express', 'ahead (> 1×)', helloSamples, 'pagi-serve', 'express', (r) => r > 1);

  const memory = load(resultsDir, 'memory');
  const bridgedMemory = memory?.results?.find((r) => r.name === 'express-bridged');
  const growth = bridgedMemory ? (bridgedMemory.peakRss - bridgedMemory.baselineRss) / MB : undefined;
  const complete = bridgedMemory ? bridgedMemory.bytes === bridgedMemory.expected : false;
  rows.push([
    `memory: server RSS growth, slow client downloading ${bridgedMemory ? formatNumber(bridgedMemory.expected / MB) : '?'} MB through the bridge`,
    '< 64 MB',
    growth === undefined ? 'n/a' : `${formatNumber(growth, 1)} MB`,
    '',
    verdict(growth === undefined ? undefined : growth < 64 && complete),
  ]);

  const websocket = load(resultsDir, 'websocket');
  const wsSamples = asMap(websocket?.samples);
  const wsRatio = targetRow('websocket echo: PAGI on `serve()` vs raw `ws`', '≥ 0.90×', wsSamples, 'pagi-serve', 'ws', (r) => r >= 0.9);

  lines.push(markdownTable(['target (issue 6)', 'goal', 'measured', 'per server CPU', 'verdict'], rows));
  lines.push('', '"measured" is the throughput ratio; "per server CPU" the ratio of requests (messages) per second of server CPU, i.e. the throughput ratio once the server is the only bottleneck. A goal counts as met only when both reach it.');

  if (hello) {
    const labels = new Map(hello.targets.map((t) => [t.name, t.label]));
    const helloRows = [...helloSamples.keys()].map((name) => {
      const m = medians(helloSamples.get(name));
      return [
        labels.get(name) ?? name,
        formatNumber(m.rate),
        formatRatio(ratio(helloSamples, name, 'raw')),
        formatRatio(ratio(helloSamples, name, 'express')),
        formatNumber(m.cpuMicros, 1),
        formatRatio(ratio(helloSamples, name, 'raw', 'perCpuSecond')),
        formatNumber(m.p50, 1),
        formatNumber(m.p99, 1),
      ];
    });
    lines.push('', `**hello** (GET → 13-byte text, ${hello.config?.connections} connections, medians of ${hello.config?.rounds} interleaved rounds × ${hello.config?.seconds} s):`, '');
    lines.push(markdownTable(['server', 'req/s', 'vs raw node:http', 'vs Express', 'server CPU µs/req', 'per CPU vs raw', 'p50 ms', 'p99 ms'], helloRows));
  }

  if (memory) {
    const parts = memory.results.map((r) => `${r.name === 'express' ? 'native Express' : 'bridged'} +${formatNumber((r.peakRss - r.baselineRss) / MB, 1)} MB`);
    lines.push('', `**memory**: one slow client downloads ${formatNumber((bridgedMemory?.expected ?? 0) / MB)} MB; peak RSS growth of the server: ${parts.join(', ')}.`);
  }
  if (websocket) {
    const m = (name) => (wsSamples.has(name) ? medians(wsSamples.get(name)) : undefined);
    const pagi = m('pagi-serve');
    const raw = m('ws');
    lines.push(
      '',
      `**WebSocket echo** (${websocket.config?.wsConnections} connections, 100-byte messages, closed loop): PAGI on serve() ${formatNumber(pagi?.rate)} msg/s ` +
        `(p99 ${formatNumber(pagi?.p99, 2)} ms) vs raw ws ${formatNumber(raw?.rate)} msg/s (p99 ${formatNumber(raw?.p99, 2)} ms) = ${formatRatio(wsRatio)}.`,
    );
  }
  const sse = load(resultsDir, 'sse');
  if (sse) {
    const sseSamples = asMap(sse.samples);
    const describe = (name, label) => {
      if (!sseSamples.has(name)) return `${label} not run`;
      const m = medians(sseSamples.get(name));
      return `${label} ${formatNumber(m.rate)} events/s (${formatNumber(m.delivered * 100, 1)} % delivered, lag p50 ${formatNumber(m.p50, 1)} / p99 ${formatNumber(m.p99, 1)} ms)`;
    };
    lines.push(
      '',
      `**SSE fan-out** (${formatNumber(sse.config?.sseClients)} clients × 10 events/s, ${sse.config?.sseSeconds} s windows): ${describe('pagi-serve', 'PAGI on serve()')}; ${describe('express', 'native Express')}; ${describe('express-bridged-serve', 'Express through the bridge on serve()')}.`,
    );
  }
  return lines.join('\n');
}
