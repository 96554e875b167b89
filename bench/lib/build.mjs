// The servers run a bundle of bench/targets/server.ts and the pagi sources, built with esbuild the
// way tsup builds dist/ (ESM, target node20, not minified, dependencies external). Running the
// sources through tsx instead would measure tsx's transform: it sets esbuild's keepNames, which
// wraps every closure created per request in an Object.defineProperty call (`__name`), about 7 %
// of the CPU time of a PAGI hello request in a profile. Code splitting keeps one instance of each
// shared module (so `instanceof Disconnected` works across the lazily imported hosts).
// BENCH_SOURCE=tsx runs the TypeScript sources through tsx instead.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const buildDir = fileURLToPath(new URL('../.build/', import.meta.url));
const entry = fileURLToPath(new URL('../targets/server.ts', import.meta.url));

let built;

/** Returns the node arguments that start the target server: a built file, or tsx + sources. */
export async function serverEntryArgs() {
  built ??= buildOnce();
  return built;
}

async function buildOnce() {
  if (process.env.BENCH_SOURCE === 'tsx') return { mode: 'tsx', args: ['--import', 'tsx', entry] };
  // run.mjs builds once and tells the scenario processes, which then reuse the bundle.
  if (process.env.BENCH_PREBUILT === 'bundle') {
    return { mode: 'bundle', args: [readFileSync(`${buildDir}latest-entry.txt`, 'utf8')] };
  }
  if (process.env.BENCH_PREBUILT === 'tsx') return { mode: 'tsx', args: ['--import', 'tsx', entry] };
  const { build } = await import('esbuild');
  try {
    const result = await build({
      entryPoints: { server: entry },
      outdir: buildDir,
      outExtension: { '.js': '.mjs' },
      // Content-hashed names and no cleaning: a saved .cpuprofile keeps pointing at the exact code
      // (and source map) it was recorded with, even after later builds.
      entryNames: '[name]-[hash]',
      metafile: true,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      sourcemap: 'linked',
      logLevel: 'silent',
    });
    const entryFile = Object.keys(result.metafile.outputs).find(
      (output) => result.metafile.outputs[output].entryPoint !== undefined,
    );
    // Metafile paths are relative to esbuild's working directory (the cwd).
    const entryPath = path.resolve(entryFile);
    writeFileSync(`${buildDir}latest-entry.txt`, entryPath);
    return { mode: 'bundle', args: [entryPath] };
  } catch (error) {
    const first = error.errors?.[0];
    const reason = first ? `${first.text} (${first.location?.file}:${first.location?.line})` : String(error);
    console.error(`  ! esbuild bundle failed (${reason}); running the servers from the sources through tsx`);
    return { mode: 'tsx', args: ['--import', 'tsx', entry], reason };
  }
}

export function describeMode(mode) {
  return mode === 'bundle'
    ? 'servers run an esbuild bundle of the sources (ESM, node20, unminified, like tsup’s dist)'
    : 'servers run the TypeScript sources through tsx (keepNames on: closures cost more than in dist)';
}
