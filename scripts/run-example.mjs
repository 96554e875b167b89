#!/usr/bin/env node
// `npm run example -- <name>`: runs examples/<name>/server.ts (PORT and HOST from the environment).
import { listExamples, runExample } from './examples.mjs';

const [name, ...rest] = process.argv.slice(2);
const examples = listExamples();

if (!name || !examples.includes(name)) {
  if (name) console.error(`unknown example '${name}'`);
  console.error(`usage: npm run example -- <name>\n\nexamples:\n${examples.map((e) => `  ${e}`).join('\n')}`);
  process.exit(1);
}

process.exitCode = await runExample(name, rest);
