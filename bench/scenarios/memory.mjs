// memory: peak RSS of the server while one slow client downloads 1 GB (BENCH_MEMORY_MB) through the
// bridge. The server samples its own RSS every 20 ms; the kernel's VmHWM is shown as a cross-check.
// Target: growth over the pre-download RSS < 64 MB.
import { config } from '../lib/config.mjs';
import { runClient } from '../lib/client-process.mjs';
import { formatNumber, loadNote, markdownTable, saveScenario } from '../lib/report.mjs';
import { startTargets, stopTargets } from '../lib/target.mjs';

const MB = 1024 * 1024;
const LIMIT_MB = 64;
const TARGETS = [
  { name: 'express', label: 'Express 5 (native), stream.pipe(res)' },
  { name: 'express-bridged', label: 'same app via toNodeListener(fromExpress(app))' },
];

const { running, failed } = await startTargets('memory', TARGETS);
const results = [];
try {
  for (const target of running) {
    const deadlineMs = (config.memoryBytes / MB / config.slowClientMBps) * 3000 + 60_000;
    console.error(`  memory/${target.name}: ${config.memoryBytes / MB} MB at ≤ ${config.slowClientMBps} MB/s`);
    const { baselineRss } = await target.server.resetRss();
    const download = await runClient('slow-download.mjs', [target.server.url, config.memoryBytes, config.slowClientMBps], deadlineMs);
    const { peakRss } = await target.server.rss();
    const result = { name: target.name, baselineRss, peakRss, vmHwm: target.server.vmHwmBytes(), ...download };
    console.error(`  memory/${target.name}: ${JSON.stringify(result)}`);
    results.push({ target, result });
  }
} finally {
  await stopTargets(running);
}

const rows = results.map(({ target, result }) => {
  const growthMb = (result.peakRss - result.baselineRss) / MB;
  const complete = result.bytes === result.expected && result.status === 200;
  return [
    target.label,
    `${formatNumber(result.bytes / MB)} MB${complete ? '' : ' (INCOMPLETE)'}`,
    formatNumber(result.bytes / MB / result.seconds, 1),
    formatNumber(result.baselineRss / MB, 1),
    formatNumber(result.peakRss / MB, 1),
    formatNumber(result.vmHwm / MB, 1),
    formatNumber(growthMb, 1),
    complete && growthMb < LIMIT_MB ? `met (< ${LIMIT_MB} MB)` : 'NOT met',
  ];
});
for (const target of failed) rows.push([target.label, `not run: ${target.reason}`, '', '', '', '', '', '']);

const markdown = [
  `### memory — one slow client (≤ ${config.slowClientMBps} MB/s) downloads ${formatNumber(config.memoryBytes / MB)} MB`,
  '',
  markdownTable(
    ['server', 'downloaded', 'client MB/s', 'RSS before MB', 'peak RSS MB', 'VmHWM MB', 'growth MB', 'target'],
    rows,
  ),
  '',
  `RSS sampled inside the server every 20 ms from just before the download to its end; VmHWM is the kernel’s peak for the whole process life (includes start-up); ${loadNote()}`,
].join('\n');
saveScenario('memory', markdown, { results: results.map(({ result }) => result), failed });
