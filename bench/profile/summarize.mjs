#!/usr/bin/env node
// Summarises a V8 .cpuprofile: top functions by self time, time per area (our src/ folders,
// dependencies, Node internals, GC), and inclusive time of our own functions.
// Usage: node bench/profile/summarize.mjs <file.cpuprofile> [--top N]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { markdownTable } from '../lib/report.mjs';

const SRC_MARKER = '/src/';
const NODE_MODULES = '/node_modules/';

function shortUrl(url) {
  if (url === '') return '';
  if (url.startsWith('node:')) return url;
  const modules = url.lastIndexOf(NODE_MODULES);
  if (modules !== -1) return url.slice(modules + NODE_MODULES.length);
  const src = url.lastIndexOf(SRC_MARKER);
  if (src !== -1) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

/** The area a frame belongs to: `src/adapter`, `express`, `node internals`, `(garbage collector)`… */
function areaOf(callFrame) {
  const { url, functionName } = callFrame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const modules = url.lastIndexOf(NODE_MODULES);
  if (modules !== -1) {
    const rest = url.slice(modules + NODE_MODULES.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const src = url.lastIndexOf(SRC_MARKER);
  if (src !== -1) {
    const parts = url.slice(src + 1).split('/');
    return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts.join('/');
  }
  return shortUrl(url);
}

function frameKey(callFrame) {
  const name = callFrame.functionName || '(anonymous)';
  const where = shortUrl(callFrame.url);
  return where === '' ? name : `${name} ${where}:${callFrame.lineNumber + 1}`;
}

function addTo(map, key, value) {
  map.set(key, (map.get(key) ?? 0) + value);
}

function topEntries(map, count) {
  return [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, count);
}

export function summarizeProfile(path, top = 20) {
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

  const self = new Map();
  const areas = new Map();
  const inclusiveOwn = new Map();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the gap before sample i; the time a sample stands for is the gap after it.
    const micros = profile.timeDeltas[i + 1] ?? 0;
    const node = nodes.get(profile.samples[i]);
    if (node === undefined || node.callFrame.functionName === '(idle)') continue;
    busy += micros;
    addTo(self, frameKey(node.callFrame), micros);
    addTo(areas, areaOf(node.callFrame), micros);
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parents.get(id)) {
      const frame = nodes.get(id).callFrame;
      if (!frame.url.includes(SRC_MARKER) || frame.url.includes(NODE_MODULES)) continue;
      const key = frameKey(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      addTo(inclusiveOwn, key, micros);
    }
  }
  const percent = (micros) => `${((micros / busy) * 100).toFixed(1)} %`;
  const ms = (micros) => (micros / 1000).toFixed(0);
  return [
    `busy (non-idle) CPU time: ${ms(busy)} ms`,
    '',
    markdownTable(
      ['function (self time)', 'ms', 'share'],
      topEntries(self, top).map(([key, micros]) => [`\`${key}\``, ms(micros), percent(micros)]),
    ),
    '',
    markdownTable(
      ['area (self time)', 'ms', 'share'],
      topEntries(areas, 15).map(([key, micros]) => [key, ms(micros), percent(micros)]),
    ),
    '',
    markdownTable(
      ['pagi function (inclusive time)', 'ms', 'share'],
      topEntries(inclusiveOwn, 12).map(([key, micros]) => [`\`${key}\``, ms(micros), percent(micros)]),
    ),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, flag, count] = process.argv.slice(2);
  if (file === undefined) {
    console.error('usage: node bench/profile/summarize.mjs <file.cpuprofile> [--top N]');
    process.exit(2);
  }
  console.log(summarizeProfile(file, flag === '--top' ? Number(count) : 20));
}
