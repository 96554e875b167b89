// BENCH_PROFILE=1: after the measured rounds, run the named targets once more under --cpu-prof
// (profiling slows them, so these runs never count as measurements) and summarise each profile.
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { config } from '../lib/config.mjs';
import { saveScenario } from '../lib/report.mjs';
import { startTarget } from '../lib/target.mjs';
import { summarizeProfile } from './summarize.mjs';

export const profileDir = fileURLToPath(new URL('../profiles/', import.meta.url));

export async function profileTargets(scenario, names, measure) {
  mkdirSync(profileDir, { recursive: true });
  const seconds = Math.max(config.seconds * 2, 2);
  const sections = [`### CPU profiles — ${scenario} (${seconds} s of load each, --cpu-prof)`];
  for (const name of names) {
    const file = `${profileDir}${scenario}-${name}.cpuprofile`;
    rmSync(file, { force: true });
    let server;
    try {
      server = await startTarget(scenario, name, { profileDir });
    } catch (error) {
      sections.push('', `#### ${name}`, '', `not profiled: ${String(error.message).split('\n')[0]}`);
      continue;
    }
    console.error(`  profiling ${scenario}/${name} (${seconds} s)`);
    try {
      await measure({ name, server }, seconds);
    } finally {
      await server.stop();
    }
    sections.push('', `#### ${name} (\`bench/profiles/${scenario}-${name}.cpuprofile\`)`, '', summarizeProfile(file));
  }
  saveScenario(`${scenario}-profile`, sections.join('\n'), { files: names.map((n) => `${scenario}-${n}.cpuprofile`) });
}
