#!/usr/bin/env node
// `npm start`: the hybrid demo (legacy Express + native SSE and WebSocket) on http://127.0.0.1:3000.
import { runExample } from './examples.mjs';

process.exitCode = await runExample('hybrid', process.argv.slice(2));
