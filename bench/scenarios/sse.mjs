// SSE fan-out: 1,000 clients, 10 events/s each (one broadcast tick every 100 ms), measured over
// 10 s: delivered events/s (ideal: clients × 10) and lag from broadcast to receipt. PAGI vs Express.
import { config } from '../lib/config.mjs';
import { runClient } from '../lib/client-process.mjs';
import { medians, pairedRatio, runInterleaved } from '../lib/rounds.mjs';
import { formatNumber, formatRatio, loadNote, markdownTable, saveScenario } from '../lib/report.mjs';
import { startTargets, stopTargets } from '../lib/target.mjs';
import { profileTargets } from '../profile/profile-targets.mjs';

const EVENTS_PER_SECOND = 10;
const TARGETS = [
  { name: 'express', label: 'Express 5 (native), res.write per client' },
  { name: 'pagi-serve', label: 'PAGI app via serve(), sse.send per client' },
  { name: 'express-bridged-serve', label: 'same Express app via serve(fromExpress(app))' },
];

function measure(target, seconds) {
  return runClient('sse-fanout.mjs', [target.server.url, config.sseClients, seconds], seconds * 1000 + 90_000);
}

const { running, failed } = await startTargets('sse', TARGETS);
let samples;
try {
  samples = await runInterleaved(running, measure, {
    rounds: config.sseRounds,
    seconds: config.sseSeconds,
    warmupSeconds: Math.min(config.warmupSeconds, 2),
    scenario: 'sse',
  });
} finally {
  await stopTargets(running);
}

const ideal = config.sseClients * EVENTS_PER_SECOND;
const rows = running.map((target) => {
  const m = medians(samples.get(target.name));
  return [
    target.label,
    formatNumber(m.rate),
    `${formatNumber(m.delivered * 100, 1)} %`,
    formatRatio(pairedRatio(samples, target.name, 'express', 'rate')),
    formatNumber(m.p50, 2),
    formatNumber(m.p99, 2),
    `${formatNumber(m.serverCpu * 100)} %`,
    formatNumber(m.cpuMicros, 1),
    formatNumber(m.connected),
    formatNumber(m.failures),
  ];
});
for (const target of failed) rows.push([target.label, `not run: ${target.reason}`, '', '', '', '', '', '', '', '']);

const markdown = [
  `### sse fan-out — ${formatNumber(config.sseClients)} clients × ${EVENTS_PER_SECOND} events/s (ideal ${formatNumber(ideal)} events/s)`,
  '',
  markdownTable(
    ['server', 'events/s', 'delivered', 'vs Express', 'lag p50 ms', 'lag p99 ms', 'server CPU', 'CPU µs/event', 'connected', 'errors'],
    rows,
  ),
  '',
  `rounds ${config.sseRounds} × ${config.sseSeconds} s of broadcasts (each round reconnects every client), medians over rounds; delivered = events received ÷ (ticks broadcast in the window × clients); lag = receipt time − broadcast timestamp in the event; CPU µs/event includes accepting the ${formatNumber(config.sseClients)} connections of the round; ${loadNote()}`,
].join('\n');
saveScenario('sse', markdown, { targets: TARGETS, failed, samples: Object.fromEntries(samples) });

if (config.profile) await profileTargets('sse', ['express', 'pagi-serve', 'express-bridged-serve'], measure, 'event');
