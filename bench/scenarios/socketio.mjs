// socket.io echo over the websocket transport: 50 connections, 100-byte event payloads, closed loop.
// socket.io on its own server.listen() vs the same server via serve(fromNodeServer(server)) (issue 12).
// Target: ≥ 0.90× socket.io natively.
import { config } from '../lib/config.mjs';
import { runClient } from '../lib/client-process.mjs';
import { medians, pairedRatio, runInterleaved } from '../lib/rounds.mjs';
import { formatNumber, formatRatio, markdownTable, saveScenario, settingsLine } from '../lib/report.mjs';
import { startTargets, stopTargets } from '../lib/target.mjs';
import { profileTargets } from '../profile/profile-targets.mjs';

const PAYLOAD_BYTES = 100;
const TARGETS = [
  { name: 'socketio', label: 'socket.io 4 on its own server.listen()' },
  { name: 'socketio-bridged', label: 'the same socket.io server via serve(fromNodeServer(server)) (direct path)' },
  { name: 'socketio-composed', label: 'the same, composed: serve(cascade([fromNodeServer(server), fallback])) (emulated path)' },
];

function measure(target, seconds) {
  const url = `ws://127.0.0.1:${target.server.port}`;
  return runClient('socketio-echo.mjs', [url, config.wsConnections, seconds, PAYLOAD_BYTES], seconds * 1000 + 30_000);
}

const { running, failed } = await startTargets('socketio', TARGETS);
let samples;
try {
  samples = await runInterleaved(running, measure, { ...config, scenario: 'socketio' });
} finally {
  await stopTargets(running);
}

const rows = running.map((target) => {
  const m = medians(samples.get(target.name));
  return [
    target.label,
    formatNumber(m.rate),
    formatRatio(pairedRatio(samples, target.name, 'socketio', 'rate')),
    formatNumber(m.p50, 2),
    formatNumber(m.p99, 2),
    `${formatNumber(m.serverCpu * 100)} %`,
    formatNumber(m.cpuMicros, 1),
    formatRatio(pairedRatio(samples, target.name, 'socketio', 'perCpuSecond')),
    formatNumber(m.failures),
  ];
});
for (const target of failed) rows.push([target.label, `not run: ${target.reason}`, '', '', '', '', '', '', '']);

const markdown = [
  `### socket.io echo — ${config.wsConnections} connections, ${PAYLOAD_BYTES}-byte event payloads, websocket transport, closed loop (client: raw-socket frames in one process)`,
  '',
  markdownTable(['server', 'messages/s', 'vs socket.io', 'p50 ms', 'p99 ms', 'server CPU', 'CPU µs/msg', 'per CPU vs socket.io', 'errors'], rows),
  '',
  `${settingsLine()}. "per CPU" compares messages per second of server CPU.`,
].join('\n');
saveScenario('socketio', markdown, { targets: TARGETS, failed, samples: Object.fromEntries(samples) });

if (config.profile) await profileTargets('socketio', ['socketio', 'socketio-bridged', 'socketio-composed'], measure, 'message');
