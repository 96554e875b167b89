// BENCH_PROFILE=1: after the measured rounds, run the named targets once more under --cpu-prof
// (profiling slows them, so these runs never count as measurements) and summarise each profile.
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { config } from '../lib/config.mjs';
import { saveScenario } from '../lib/report.mjs';
import { startTarget } from '../lib/target.mjs';
import { summarizeProfile } from './summarize.mjs';

export const profileRoot = fileURLToPath(new URL('../profiles/', import.meta.url));

/** The main thread's profile: the biggest of the per-thread files (the loader thread idles). */
function mainThreadProfile(dir) {
  const files = readdirSync(dir).filter((file) => file.endsWith('.cpuprofile'));
  files.sort((a, b) => statSync(`${dir}${b}`).size - statSync(`${dir}${a}`).size);
  return files[0] === undefined ? undefined : `${dir}${files[0]}`;
}

/** `unit` names what `measure`'s rate counts (request, message, event) for the per-unit CPU column. */
export async function profileTargets(scenario, names, measure, unit = 'request') {
  const seconds = Math.max(config.seconds * 2, 2);
  const sections = [`### CPU profiles — ${scenario} (${seconds} s of load each, --cpu-prof)`];
  for (const name of names) {
    const profileDir = `${profileRoot}${scenario}-${name}/`;
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
    let server;
    try {
      server = await startTarget(scenario, name, { profileDir });
    } catch (error) {
      sections.push('', `#### ${name}`, '', `not profiled: ${String(error.message).split('\n')[0]}`);
      continue;
    }
    console.error(`  profiling ${scenario}/${name} (${seconds} s)`);
    let requests;
    try {
      const sample = await measure({ name, server }, seconds);
      requests = sample.rate * seconds;
    } finally {
      await server.stop();
    }
    const file = mainThreadProfile(profileDir);
    if (file === undefined) {
      sections.push('', `#### ${name}`, '', 'no profile was written');
      continue;
    }
    sections.push('', `#### ${name} (\`${file.slice(file.indexOf('bench/'))}\`)`, '', summarizeProfile(file, { fromMicros: server.readyMicros, requests, unit }));
  }
  saveScenario(`${scenario}-profile`, sections.join('\n'), { names });
}
