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
  const node = `Node ${process.versions.node}`;
  const kindSamples = (scenario, kind) => asMap(load(resultsDir, scenario)?.kinds?.[kind]);
  const json = kindSamples('json', 'json');
  const stack = kindSamples('stack', 'stack');
  const atLeast = (goal) => (r) => r >= goal;
  const measuredRow = (label, goal, samples, target, baseline, ok) => {
    if (samples.has(target) && samples.has(baseline)) targetRow(label, goal, samples, target, baseline, ok);
  };
  // Wrapping: nothing between the adapter and fromExpress.
  for (const [name, samples] of [['hello', helloSamples], ['json', json], ['stack', stack]]) {
    measuredRow(`wrapping, ${name}: \`toNodeListener(fromExpress(app))\` vs native Express`, '≥ 0.95×', samples, 'express-bridged', 'express', atLeast(0.95));
    measuredRow(`wrapping, ${name}: \`serve(fromExpress(app))\` vs native Express`, '≥ 0.95×', samples, 'express-bridged-serve', 'express', atLeast(0.95));
  }
  // Migrating: the request falls through native routes to Express.
  for (const [name, samples, goal] of [['hello', helloSamples, 0.85], ['stack', stack, 0.9]]) {
    measuredRow(`migrating, ${name}: \`cascade(native, fromExpress(app))\` vs native Express`, `≥ ${goal.toFixed(2)}×`, samples, 'cascade', 'express', atLeast(goal));
    measuredRow(`migrating, ${name}: \`mount({ '/new': native, '/': fromExpress(app) })\` vs native Express`, `≥ ${goal.toFixed(2)}×`, samples, 'mount', 'express', atLeast(goal));
  }
  measuredRow('migrating, stack: the moved route (pagi/toolkit on `serve()`) vs native Express', '≥ 1.50×', stack, 'native-serve', 'express', atLeast(1.5));
  // Native.
  measuredRow('native, hello: PAGI app on `serve()` vs raw node:http', '≥ 0.95×', helloSamples, 'pagi-serve', 'raw', atLeast(0.95));
  measuredRow('native, hello: PAGI app via `toNodeListener` vs raw node:http', '≥ 0.97×', helloSamples, 'pagi-listener', 'raw', atLeast(0.97));
  const h2 = kindSamples('h2', 'h2');
  measuredRow('native, h2: PAGI app on `serve({ http2: true })` vs raw node:http2 (h2load)', '≥ 0.90×', h2, 'pagi-serve', 'raw', atLeast(0.9));
  const websocket = load(resultsDir, 'websocket');
  const wsSamples = asMap(websocket?.samples);
  const wsRatio = websocket ? targetRow('native, websocket echo: PAGI on `serve()` vs raw `ws`', '≥ 0.95×', wsSamples, 'pagi-serve', 'ws', atLeast(0.95)) : undefined;
  sseRow(load(resultsDir, 'sse'), rows);
  scaleRows(load(resultsDir, 'scale'), rows);

  const memory = load(resultsDir, 'memory');
  const bridgedMemory = memory?.results?.find((r) => r.name === 'express-bridged');
  const growth = bridgedMemory ? (bridgedMemory.peakRss - bridgedMemory.baselineRss) / MB : undefined;
  const complete = bridgedMemory ? bridgedMemory.bytes === bridgedMemory.expected : false;
  if (memory) {
    rows.push([
      `memory: server RSS growth, slow client downloading ${bridgedMemory ? formatNumber(bridgedMemory.expected / MB) : '?'} MB through the bridge`,
      '< 64 MB',
      growth === undefined ? 'n/a' : `${formatNumber(growth, 1)} MB`,
      '',
      verdict(growth === undefined ? undefined : growth < 64 && complete),
    ]);
  }

  lines.push(markdownTable(['Node', 'target (issue 11)', 'goal', 'measured', 'per server CPU', 'verdict'], rows.map((row) => [node, ...row])));
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

/** Scale: the bridged/native ratio at each load step, met when no step falls more than 0.03 below the one before. */
function scaleRows(scale, rows) {
  if (!scale) return;
  for (const [label, keys] of [
    ['connections 10 → 100 → 1,000 (hello)', ['c10', 'c100', 'c1000']],
    ['response body 1 KB → 64 KB → 1 MB', ['body-1k', 'body-64k', 'body-1m']],
  ]) {
    const measured = [];
    const perCpu = [];
    for (const key of keys) {
      const samples = asMap(scale.kinds?.[key]);
      if (!samples.has('express') || !samples.has('express-bridged')) return;
      measured.push(pairedRatio(samples, 'express-bridged', 'express', 'rate'));
      perCpu.push(pairedRatio(samples, 'express-bridged', 'express', 'perCpuSecond'));
    }
    const holds = (list) => list.every((value, i) => i === 0 || value >= list[i - 1] - 0.03);
    rows.push([
      `scale, ${label}: bridged vs native Express`,
      'does not fall (±0.03)',
      measured.map(formatRatio).join(' → '),
      perCpu.map(formatRatio).join(' → '),
      verdict(measured.every(Number.isFinite) ? holds(measured) && holds(perCpu) : undefined),
    ]);
  }
}

/** SSE fan-out: PAGI's p99 lag no worse than native Express's. */
function sseRow(sse, rows) {
  if (!sse) return;
  const samples = asMap(sse.samples);
  if (!samples.has('pagi-serve') || !samples.has('express')) return;
  const pagi = medians(samples.get('pagi-serve')).p99;
  const express = medians(samples.get('express')).p99;
  rows.push(['native, SSE fan-out: p99 lag, PAGI on `serve()` vs native Express', '≤ Express', `${formatNumber(pagi, 1)} vs ${formatNumber(express, 1)} ms`, '', verdict(Number.isFinite(pagi) ? pagi <= express : undefined)]);
}
