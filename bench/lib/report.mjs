// Formatting and persistence of results: markdown tables on stderr while running, and one
// markdown + JSON file per scenario under bench/results/ that run.mjs stitches together.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { config } from './config.mjs';

export const resultsDir = fileURLToPath(new URL(config.quick ? '../results/quick/' : '../results/', import.meta.url));

export function formatNumber(value, digits = 0) {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatRatio(value) {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

export function markdownTable(header, rows) {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

/** Writes a scenario's section (markdown) and raw data (JSON), and echoes the markdown. */
export function saveScenario(scenario, markdown, data) {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(`${resultsDir}${scenario}.md`, `${markdown}\n`);
  writeFileSync(`${resultsDir}${scenario}.json`, `${JSON.stringify({ config, ...data }, null, 2)}\n`);
  console.log(`\n${markdown}\n`);
}

/** The 1-minute load average: anything well above 1 while measuring means other work shared the CPUs. */
export function loadNote() {
  return `1-min load average at the end: ${os.loadavg()[0].toFixed(2)} (the benchmark alone keeps it near 2)`;
}

export function settingsLine(extra = '') {
  return `rounds ${config.rounds} × ${config.seconds} s after a ${config.warmupSeconds} s warm-up per target${extra}; medians over rounds; ${loadNote()}`;
}
