// hello: GET / → 13-byte text, on every server flavour, as fast as autocannon can ask.
// Targets: bridged Express ≥ 0.90× native Express; PAGI on serve ≥ 0.90× raw node:http.
import { config } from '../lib/config.mjs';
import { httpLoad, loadGeneratorLabel } from '../lib/http-load.mjs';
import { medians, pairedRatio, runInterleaved } from '../lib/rounds.mjs';
import { formatNumber, formatRatio, markdownTable, saveScenario, settingsLine } from '../lib/report.mjs';
import { startTargets, stopTargets } from '../lib/target.mjs';
import { profileTargets } from '../profile/profile-targets.mjs';

const TARGETS = [
  { name: 'raw', label: 'raw node:http' },
  { name: 'express', label: 'Express 5 (native)' },
  { name: 'express-bridged', label: 'Express 5 via toNodeListener(fromExpress(app))' },
  { name: 'pagi-listener', label: 'PAGI app via toNodeListener' },
  { name: 'pagi-serve', label: 'PAGI app via serve()' },
  { name: 'fastify', label: 'fastify 5' },
  { name: 'hono', label: 'hono on @hono/node-server' },
];

function measure(target, seconds) {
  return httpLoad({ url: target.server.url, seconds, connections: config.connections });
}

const { running, failed } = await startTargets('hello', TARGETS);
let samples;
try {
  samples = await runInterleaved(running, measure, { ...config, scenario: 'hello' });
} finally {
  await stopTargets(running);
}

const rows = running.map((target) => {
  const m = medians(samples.get(target.name));
  return [
    target.label,
    formatNumber(m.rate),
    formatRatio(pairedRatio(samples, target.name, 'raw', 'rate')),
    formatRatio(pairedRatio(samples, target.name, 'express', 'rate')),
    formatNumber(m.p50, 1),
    formatNumber(m.p99, 1),
    `${formatNumber(m.serverCpu * 100)} %`,
    formatNumber(m.failures),
  ];
});
for (const target of failed) rows.push([target.label, `not run: ${target.reason}`, '', '', '', '', '', '']);

const markdown = [
  `### hello — GET / → 13-byte text/plain, ${loadGeneratorLabel(config.connections)}`,
  '',
  markdownTable(['target', 'req/s', 'vs raw', 'vs Express', 'p50 ms', 'p99 ms', 'server CPU', 'errors'], rows),
  '',
  settingsLine(),
].join('\n');
saveScenario('hello', markdown, { targets: TARGETS, failed, samples: Object.fromEntries(samples) });

if (config.profile) await profileTargets('hello', ['express-bridged', 'pagi-listener', 'pagi-serve'], measure);
