// What the numbers were measured on, printed at the top of every results file.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { repoRoot } from './target.mjs';

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(`${repoRoot}node_modules/${name}/package.json`, 'utf8')).version;
  } catch {
    return 'missing';
  }
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export function machineInfo() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const mhz = /cpu MHz\s*:\s*(.+)/.exec(cpuinfo)?.[1];
  return {
    date: new Date().toISOString(),
    cpu: `${model}${mhz ? ` @ ${Number(mhz).toFixed(0)} MHz` : ''}, ${os.cpus().length} CPUs`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverage: os.loadavg().map((value) => value.toFixed(2)).join(' '),
    commit: gitCommit(),
    packages: Object.fromEntries(
      ['autocannon', 'express', 'fastify', 'hono', '@hono/node-server', 'ws', 'tsx'].map((name) => [name, packageVersion(name)]),
    ),
  };
}

export function machineMarkdown(info) {
  const packages = Object.entries(info.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return [
    `- date: ${info.date} (git ${info.commit})`,
    `- CPU: ${info.cpu}; RAM ${info.memory}; ${info.kernel}`,
    `- Node ${info.node}; ${packages}`,
    `- load average at start: ${info.loadAverage}`,
  ].join('\n');
}
