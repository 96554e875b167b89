#!/usr/bin/env node
// Second half of `npm run build`: after tsup wrote the JavaScript, tsc writes one declaration file
// per source file into dist/ (tsconfig.build.json), and each gets a CommonJS twin: `x.d.cts` next to
// `x.d.ts`, with relative imports renamed from `./y.js` to `./y.cjs` so that `require('pagi')` users
// resolve types through `.d.cts` files all the way down (package.json `exports` → `require.types`).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

try {
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
} catch {
  // tsc printed its diagnostics.
  process.exit(1);
}

// `from './y.js'`, `import('./y.js')`, `import './y.js'`: relative specifiers only.
const RELATIVE_JS = /(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"])(\.\.?\/[^'"]*?)\.js\2/g;

let written = 0;
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
  const file = join(entry.parentPath ?? entry.path, entry.name);
  const text = readFileSync(file, 'utf8').replace(RELATIVE_JS, '$1$2$3.cjs$2');
  writeFileSync(file.replace(/\.d\.ts$/, '.d.cts'), text);
  written++;
}
console.log(`build-types: ${written} declaration files, each as .d.ts and .d.cts`);
