#!/usr/bin/env node
// `npm run bench [-- <scenario>...] [-- --quick]`: runs the chosen scenarios (default: all), each in
// its own process pinned to the client CPU, and stitches their sections into bench/results/latest.md.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { config } from './lib/config.mjs';
import { machineInfo, machineMarkdown } from './lib/machine.mjs';
import { ensureWrk } from './lib/http-load.mjs';
import { resultsDir } from './lib/report.mjs';
import { describeMode, serverEntryArgs } from './lib/build.mjs';
import { buildSummary } from './lib/summary.mjs';
import { repoRoot, serverCommand } from './lib/target.mjs';

const SCENARIOS = ['hello', 'h2', 'json', 'stack', 'scale', 'toolkit', 'shadow', 'stream', 'memory', 'websocket', 'socketio', 'sse', 'channels'];

// `--node=<binary>` (or BENCH_NODE) runs everything — scenarios, servers, clients — on another
// Node: this script restarts itself on that binary, and every child uses process.execPath.
const nodeFlag = process.argv.find((arg) => arg.startsWith('--node='))?.slice('--node='.length);
const wantedNode = nodeFlag ?? process.env.BENCH_NODE;
if (wantedNode && realpathSync(wantedNode) !== realpathSync(process.execPath)) {
  const args = [fileURLToPath(import.meta.url), ...process.argv.slice(2).filter((arg) => !arg.startsWith('--node='))];
  const result = spawnSync(wantedNode, args, { stdio: 'inherit', env: { ...process.env, BENCH_NODE: wantedNode } });
  if (result.error) {
    console.error(`cannot run ${wantedNode}: ${result.error.message}`);
    process.exit(2);
  }
  process.exit(result.status ?? 1);
}

const requested = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const unknown = requested.filter((name) => !SCENARIOS.includes(name));
if (unknown.length > 0) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`);
  process.exit(2);
}
const chosen = requested.length > 0 ? requested : SCENARIOS;

function runScenario(name) {
  const script = fileURLToPath(new URL(`./scenarios/${name}.mjs`, import.meta.url));
  const args = ['-c', config.clientCpu, process.execPath, script, ...(config.quick ? ['--quick'] : [])];
  return new Promise((resolve) => {
    const child = spawn('taskset', args, { stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code === 0 ? undefined : `exit ${code ?? signal}`));
  });
}

if (process.env.BENCH_LOADGEN !== 'autocannon' && !ensureWrk()) {
  console.error('wrk is not available; falling back to autocannon for HTTP load');
}
const build = await serverEntryArgs();
process.env.BENCH_PREBUILT = build.mode;
const info = machineInfo();
console.error(`pagi benchmarks: ${chosen.join(', ')}${config.quick ? ' (quick)' : ''}`);
console.error(machineMarkdown(info));
const started = Date.now();
const problems = [];
for (const name of chosen) {
  console.error(`\n== ${name}`);
  // A section left over from an earlier run must not be stitched into this one.
  for (const stale of [name, `${name}-profile`]) {
    for (const ext of ['md', 'json']) rmSync(`${resultsDir}${stale}.${ext}`, { force: true });
  }
  const problem = await runScenario(name);
  if (problem) problems.push(`${name}: ${problem}`);
}
const minutes = ((Date.now() - started) / 60_000).toFixed(1);

const sections = chosen.flatMap((name) =>
  [name, `${name}-profile`]
    .map((file) => `${resultsDir}${file}.md`)
    .filter((path) => existsSync(path))
    .map((path) => readFileSync(path, 'utf8')),
);
const command = `${config.quick ? 'BENCH_QUICK=1 ' : ''}${Object.entries(process.env)
  .filter(([key]) => key.startsWith('BENCH_') && key !== 'BENCH_QUICK' && key !== 'BENCH_PREBUILT' && key !== 'BENCH_NODE')
  .map(([key, value]) => `${key}=${value} `)
  .join('')}${process.env.BENCH_NODE ? `BENCH_NODE=${process.env.BENCH_NODE} ` : ''}npm run bench${requested.length > 0 || config.quick ? ` --${requested.map((n) => ` ${n}`).join('')}${config.quick ? ' --quick' : ''}` : ''}`;
const header = [
  `## Results (${config.quick ? 'quick smoke run — not a measurement' : 'full run'}, ${minutes} min)`,
  '',
  machineMarkdown(info),
  `- command: \`${command}\``,
  `- servers: \`${(await serverCommand('<scenario>', '<target>')).join(' ').replace(process.execPath, 'node').replace(repoRoot, '')}\` — ${describeMode(build.mode)}${build.reason ? ` (bundle failed: ${build.reason})` : ''}`,
  `- load generators and clients: \`taskset -c ${config.clientCpu}\`, scenarios run as \`taskset -c ${config.clientCpu} node bench/scenarios/<scenario>.mjs\``,
  ...(problems.length > 0 ? [`- problems: ${problems.join('; ')}`] : []),
].join('\n');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(`${resultsDir}latest.md`, `${header}\n\n${sections.join('\n')}`);
writeFileSync(`${resultsDir}latest-machine.json`, `${JSON.stringify(info, null, 2)}\n`);
const summary = buildSummary(resultsDir);
writeFileSync(`${resultsDir}summary.md`, `${summary}\n`);
console.log(`\n${summary}\n`);
// A full run of every scenario refreshes the README's summary and results blocks; partial and quick
// runs only write bench/results/.
if (!config.quick && requested.length === 0 && problems.length === 0) {
  const readmePath = fileURLToPath(new URL('./README.md', import.meta.url));
  const replaceBlock = (text, name, body) =>
    text.replace(new RegExp(`<!-- ${name}:START -->[\\s\\S]*<!-- ${name}:END -->`), () => `<!-- ${name}:START -->\n${body}\n<!-- ${name}:END -->`);
  let readme = readFileSync(readmePath, 'utf8');
  const when = `${info.date.slice(0, 16).replace('T', ' ')} UTC, git ${info.commit}, ${info.cpu}, Node ${info.node}`;
  readme = replaceBlock(readme, 'SUMMARY', `Full run of ${when} (${minutes} min; full tables below).\n\n${summary}`);
  readme = replaceBlock(readme, 'RESULTS', `${header}\n\n${sections.join('\n')}`);
  writeFileSync(readmePath, readme);
  console.error('updated bench/README.md');
}
console.error(`\nwrote ${resultsDir}latest.md (${minutes} min)`);
if (problems.length > 0) process.exitCode = 1;
