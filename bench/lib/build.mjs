// The servers run a bundle of bench/targets/server.ts and the pagi sources, built with esbuild the
// way tsup builds dist/ (ESM, target node20, not minified, dependencies external). Running the
// sources through tsx instead would measure tsx's transform: it sets esbuild's keepNames, which
// wraps every closure created per request in an Object.defineProperty call (`__name`), about 7 %
// of the CPU time of a PAGI hello request in a profile. Code splitting keeps one instance of each
// shared module (so `instanceof Disconnected` works across the lazily imported hosts).
// BENCH_SOURCE=tsx runs the TypeScript sources through tsx instead.
import { rmSync } from 'node:fs';
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
  if (process.env.BENCH_PREBUILT === 'bundle') return { mode: 'bundle', args: [`${buildDir}server.mjs`] };
  if (process.env.BENCH_PREBUILT === 'tsx') return { mode: 'tsx', args: ['--import', 'tsx', entry] };
  const { build } = await import('esbuild');
  rmSync(buildDir, { recursive: true, force: true });
  try {
    await build({
      entryPoints: { server: entry },
      outdir: buildDir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      sourcemap: 'linked',
      logLevel: 'silent',
    });
    return { mode: 'bundle', args: [`${buildDir}server.mjs`] };
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
