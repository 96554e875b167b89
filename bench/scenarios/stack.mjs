// stack: an Express 5 app as teams run it (helmet, cors, compression, express.json, cookie-parser,
// express-session on its MemoryStore, a router with params, an error handler) answering a small
// JSON document to `GET /api/items/42` with a cookie. Natively, wrapped (toNodeListener and
// serve()), behind native routes (cascade, mount: the request falls through to Express), and the
// same answer as a native PAGI app on pagi/toolkit.
// Goals (issue 11): wrapped ≥ 0.95×, cascade/mount ≥ 0.90× native Express; native ≥ 1.5× Express.
// Issue 17: the toolkit's moved route ≥ 0.90× the same route in raw PAGI (the raw-serve row).
import { config } from '../lib/config.mjs';
import { httpScenario } from '../lib/http-scenario.mjs';

await httpScenario({
  scenario: 'stack',
  targets: [
    { name: 'express', label: 'Express 5 stack (native)' },
    { name: 'express-bridged', label: 'same app via toNodeListener(fromExpress(app))' },
    { name: 'express-bridged-serve', label: 'same app via serve(fromExpress(app))' },
    { name: 'cascade', label: 'serve(cascade(nativeRoutes, fromExpress(app))), falling through' },
    { name: 'mount', label: "serve(mount({ '/new': native, '/': fromExpress(app) }))" },
    { name: 'native-serve', label: 'the route moved: pagi/toolkit router() on serve()' },
    { name: 'raw-serve', label: 'the route moved, in raw PAGI by hand on serve()' },
  ],
  kinds: [
    {
      key: 'stack',
      title: 'stack — GET /api/items/42 with a cookie and an Origin, through the full middleware stack',
      request: { method: 'GET', path: '/api/items/42', headers: { cookie: 'theme=dark; lang=en', origin: 'http://example.test' } },
      connections: config.connections,
      unit: 'req/s',
      baselines: [
        { name: 'express', label: 'Express' },
        { name: 'raw-serve', label: 'raw PAGI' },
      ],
    },
  ],
  profile: { kind: 'stack', names: ['express', 'express-bridged'] },
});
