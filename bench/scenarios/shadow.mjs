// shadow (issue 15): the cost of `shadow(fromExpress(app), native)` to the client. One JSON route
// (GET /users/42); the primary alone vs shadowed with sampleRate 1 (every request also runs the
// candidate and is compared) and 0.01. Goals: at sampleRate 1, client-visible p50 latency ≤ 1.10×
// and throughput ≥ 0.50× of the primary alone (the machine does both apps' work); at 0.01,
// throughput ≥ 0.95×. Latency is measured with one connection (each request's own time, not a
// queue), throughput with the usual 100.
import { readFileSync, writeFileSync } from 'node:fs';
import { config } from '../lib/config.mjs';
import { httpScenario } from '../lib/http-scenario.mjs';
import { formatRatio, markdownTable, resultsDir } from '../lib/report.mjs';
import { pairedRatio } from '../lib/rounds.mjs';

const request = { method: 'GET', path: '/users/42' };

await httpScenario({
  scenario: 'shadow',
  targets: [
    { name: 'express-bridged', label: 'Express 5 via toNodeListener(fromExpress(app)) (the primary alone)' },
    { name: 'shadow-all', label: 'shadow(fromExpress(app), native), sampleRate 1' },
    { name: 'shadow-1pct', label: 'shadow(fromExpress(app), native), sampleRate 0.01' },
  ],
  kinds: [
    {
      key: 'throughput',
      title: 'shadow throughput — GET /users/42 (small JSON)',
      request,
      connections: config.connections,
      unit: 'req/s',
      baselines: [{ name: 'express-bridged', label: 'primary alone' }],
    },
    {
      key: 'latency',
      title: 'shadow latency — GET /users/42, one connection',
      request,
      connections: 1,
      unit: 'req/s',
      baselines: [{ name: 'express-bridged', label: 'primary alone' }],
    },
  ],
  profile: { kind: 'throughput', names: ['express-bridged', 'shadow-all'] },
});

// The goals, from the same run's paired rounds, appended to the scenario's section.
const data = JSON.parse(readFileSync(`${resultsDir}shadow.json`, 'utf8'));
const samplesOf = (kind) => new Map(Object.entries(data.kinds[kind] ?? {}));
const ratio = (kind, target, metric) => pairedRatio(samplesOf(kind), target, 'express-bridged', metric);
const goals = [
  ['sampleRate 1: p50 latency (1 connection) vs the primary alone', '≤ 1.10×', ratio('latency', 'shadow-all', 'p50'), (r) => r <= 1.1],
  ['sampleRate 1: throughput vs the primary alone', '≥ 0.50×', ratio('throughput', 'shadow-all', 'rate'), (r) => r >= 0.5],
  ['sampleRate 0.01: throughput vs the primary alone', '≥ 0.95×', ratio('throughput', 'shadow-1pct', 'rate'), (r) => r >= 0.95],
  ['sampleRate 0.01: p50 latency (1 connection) vs the primary alone', '(no goal)', ratio('latency', 'shadow-1pct', 'p50'), undefined],
];
const table = markdownTable(
  ['target (issue 15)', 'goal', 'measured', 'verdict'],
  goals.map(([name, goal, value, met]) => [name, goal, formatRatio(value), met === undefined || !Number.isFinite(value) ? '' : met(value) ? '**met**' : '**not met**']),
);
const section = readFileSync(`${resultsDir}shadow.md`, 'utf8');
writeFileSync(`${resultsDir}shadow.md`, `${section}\n${table}\n`);
console.log(`\n${table}\n`);
