#!/usr/bin/env node
// Summarises a V8 .cpuprofile: top functions by self time, time per area (our src/ folders,
// dependencies, Node internals, GC), and inclusive time of our own functions.
// Usage: node bench/profile/summarize.mjs <file.cpuprofile> [--top N]
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { markdownTable } from '../lib/report.mjs';

const SRC_MARKER = '/src/';
const NODE_MODULES = '/node_modules/';

const sourceMaps = new Map();

/** The source map next to a bundled file (esbuild's `sourcemap: 'linked'`), if any. */
function sourceMapFor(url) {
  if (!sourceMaps.has(url)) {
    let map;
    if (url.startsWith('file://')) {
      const file = `${fileURLToPath(url)}.map`;
      if (existsSync(file)) map = new SourceMap(JSON.parse(readFileSync(file, 'utf8')));
    }
    sourceMaps.set(url, map);
  }
  return sourceMaps.get(url);
}

/** Maps a bundled frame back to its TypeScript source, so the summary names src/ files and lines. */
function originalFrame(callFrame) {
  const map = sourceMapFor(callFrame.url);
  const entry = map?.findEntry(callFrame.lineNumber, callFrame.columnNumber);
  if (entry === undefined || entry.originalSource === undefined) return callFrame;
  return { ...callFrame, url: entry.originalSource, lineNumber: entry.originalLine, columnNumber: entry.originalColumn };
}

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

/**
 * `fromMicros` (profile clock) drops the samples taken before it, e.g. module loading at start-up.
 * `requests` (served while profiling; `unit` names them) adds a µs-per-unit column, comparable across targets.
 */
export function summarizeProfile(path, { top = 20, fromMicros = 0, requests, unit = 'request' } = {}) {
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, { ...node, callFrame: originalFrame(node.callFrame) }]));
  const parents = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

  const self = new Map();
  const areas = new Map();
  const inclusiveOwn = new Map();
  let busy = 0;
  let clock = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    clock += profile.timeDeltas[i] ?? 0;
    if (clock < fromMicros) continue;
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
  const perRequest = requests > 0;
  const row = (label, micros) => [
    label,
    (micros / 1000).toFixed(0),
    `${((micros / busy) * 100).toFixed(1)} %`,
    ...(perRequest ? [(micros / requests).toFixed(2)] : []),
  ];
  const columns = (first) => [first, 'ms', 'share', ...(perRequest ? [`µs/${unit}`] : [])];
  return [
    `busy (non-idle) CPU time: ${(busy / 1000).toFixed(0)} ms` +
      (perRequest ? ` for ${requests.toFixed(0)} ${unit}s = **${(busy / requests).toFixed(1)} µs CPU per ${unit}**` : ''),
    '',
    markdownTable(columns('function (self time)'), topEntries(self, top).map(([key, micros]) => row(`\`${key}\``, micros))),
    '',
    markdownTable(columns('area (self time)'), topEntries(areas, 15).map(([key, micros]) => row(key, micros))),
    '',
    markdownTable(
      columns('pagi function (inclusive time)'),
      topEntries(inclusiveOwn, 12).map(([key, micros]) => row(`\`${key}\``, micros)),
    ),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, flag, count] = process.argv.slice(2);
  if (file === undefined) {
    console.error('usage: node bench/profile/summarize.mjs <file.cpuprofile> [--top N]');
    process.exit(2);
  }
  console.log(summarizeProfile(file, { top: flag === '--top' ? Number(count) : 20 }));
}
