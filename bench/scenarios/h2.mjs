// h2: GET / → 13-byte text over HTTP/2 (h2c, prior knowledge), h2load with many streams per
// connection. Target (issue 13): PAGI hello on serve({ http2: true }) ≥ 0.90× a raw node:http2
// server, throughput and per server CPU. The raw server uses node:http2's core stream API; the
// compat row (req/res, what PAGI's adapter runs on) shows how much of the gap is that API's.
// Express 5 has no native HTTP/2 row: on http2.createServer it crashes on the first request (it
// swaps req/res prototypes for node:http's, whose IncomingMessage._read has no socket to read);
// through fromExpress it runs, and that row is compared with the raw servers.
import { config } from '../lib/config.mjs';
import { h2loadLabel, h2loadTest } from '../lib/h2load.mjs';
import { httpScenario } from '../lib/http-scenario.mjs';

const TARGETS = [
  { name: 'raw', label: 'raw node:http2 (stream API)' },
  { name: 'compat', label: 'node:http2 compat API (req/res)' },
  { name: 'pagi-serve', label: 'PAGI app via serve({ http2: true })' },
  { name: 'express-bridged-serve', label: 'Express 5 via serve(fromExpress(app), { http2: true })' },
];

await httpScenario({
  scenario: 'h2',
  targets: TARGETS,
  kinds: [
    {
      key: 'h2',
      title: 'h2 — GET / → 13-byte text/plain over HTTP/2 (h2c)',
      request: { method: 'GET' },
      connections: Math.min(config.connections, 50),
      unit: 'req/s',
      loader: {
        run: h2loadTest,
        label: h2loadLabel,
        latency: [
          ['meanMs', 'mean ms'],
          ['maxMs', 'max ms'],
        ],
      },
      baselines: [
        { name: 'raw', label: 'raw h2' },
        { name: 'compat', label: 'h2 compat' },
      ],
    },
  ],
  profile: { kind: 'h2', names: ['raw', 'compat', 'pagi-serve'] },
});
