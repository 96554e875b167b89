// WebSocket echo: 50 connections, 100-byte text messages, closed loop. PAGI on serve() vs raw `ws`.
// Target: ≥ 0.90× raw ws.
import { config } from '../lib/config.mjs';
import { runClient } from '../lib/client-process.mjs';
import { medians, pairedRatio, runInterleaved } from '../lib/rounds.mjs';
import { formatNumber, formatRatio, markdownTable, saveScenario, settingsLine } from '../lib/report.mjs';
import { startTargets, stopTargets } from '../lib/target.mjs';
import { profileTargets } from '../profile/profile-targets.mjs';

const MESSAGE_BYTES = 100;
const TARGETS = [
  { name: 'ws', label: 'raw ws 8 (WebSocketServer on node:http)' },
  { name: 'pagi-serve', label: 'PAGI echo app via serve()' },
  { name: 'ws-bridged', label: 'the same ws server via serve(fromNodeServer(server)) (direct path)' },
  { name: 'ws-composed', label: 'the same, composed: serve(cascade([fromNodeServer(server), fallback])) (emulated path)' },
];

function measure(target, seconds) {
  const url = `ws://127.0.0.1:${target.server.port}/`;
  return runClient('ws-echo.mjs', [url, config.wsConnections, seconds, MESSAGE_BYTES], seconds * 1000 + 30_000);
}

const { running, failed } = await startTargets('websocket', TARGETS);
let samples;
try {
  samples = await runInterleaved(running, measure, { ...config, scenario: 'websocket' });
} finally {
  await stopTargets(running);
}

const rows = running.map((target) => {
  const m = medians(samples.get(target.name));
  return [
    target.label,
    formatNumber(m.rate),
    formatRatio(pairedRatio(samples, target.name, 'ws', 'rate')),
    formatNumber(m.p50, 2),
    formatNumber(m.p99, 2),
    `${formatNumber(m.serverCpu * 100)} %`,
    formatNumber(m.cpuMicros, 1),
    formatRatio(pairedRatio(samples, target.name, 'ws', 'perCpuSecond')),
    formatNumber(m.failures),
  ];
});
for (const target of failed) rows.push([target.label, `not run: ${target.reason}`, '', '', '', '', '', '', '']);

const markdown = [
  `### websocket echo — ${config.wsConnections} connections, ${MESSAGE_BYTES}-byte text messages, closed loop (client: raw-socket frames in one process)`,
  '',
  markdownTable(['server', 'messages/s', 'vs ws', 'p50 ms', 'p99 ms', 'server CPU', 'CPU µs/msg', 'per CPU vs ws', 'errors'], rows),
  '',
  `${settingsLine()}. "per CPU" compares messages per second of server CPU.`,
].join('\n');
saveScenario('websocket', markdown, { targets: TARGETS, failed, samples: Object.fromEntries(samples) });

if (config.profile) await profileTargets('websocket', ['ws', 'pagi-serve', 'ws-bridged', 'ws-composed'], measure, 'message');
