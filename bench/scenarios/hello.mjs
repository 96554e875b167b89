// hello: GET / → 13-byte text, on every server flavour, as fast as the load generator can ask.
// Targets (issue 11): wrapped Express ≥ 0.95× native Express, cascade/mount ≥ 0.85×; PAGI on
// serve() ≥ 0.95× raw node:http per CPU, via toNodeListener ≥ 0.97×.
import { config } from '../lib/config.mjs';
import { httpScenario } from '../lib/http-scenario.mjs';

const TARGETS = [
  { name: 'raw', label: 'raw node:http' },
  { name: 'express', label: 'Express 5 (native)' },
  { name: 'express-bridged', label: 'Express 5 via toNodeListener(fromExpress(app))' },
  { name: 'express-bridged-serve', label: 'Express 5 via serve(fromExpress(app))' },
  { name: 'cascade', label: 'serve(cascade(nativeRoutes, fromExpress(app))), falling through' },
  { name: 'mount', label: "serve(mount({ '/new': native, '/': fromExpress(app) }))" },
  { name: 'pagi-listener', label: 'PAGI app via toNodeListener' },
  { name: 'pagi-serve', label: 'PAGI app via serve()' },
  { name: 'fastify', label: 'fastify 5' },
  { name: 'hono', label: 'hono on @hono/node-server' },
];

await httpScenario({
  scenario: 'hello',
  targets: TARGETS,
  kinds: [
    {
      key: 'hello',
      title: 'hello — GET / → 13-byte text/plain',
      request: { method: 'GET' },
      connections: config.connections,
      unit: 'req/s',
      baselines: [
        { name: 'raw', label: 'raw' },
        { name: 'express', label: 'Express' },
      ],
    },
  ],
  // The native targets are profiled too, as the per-request baselines of the others.
  profile: { kind: 'hello', names: ['raw', 'pagi-listener', 'pagi-serve', 'express', 'express-bridged'] },
});
