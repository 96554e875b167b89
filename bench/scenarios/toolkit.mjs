// toolkit: one JSON route, POST /items/:id with a 1 KB body, parsed and answered as JSON — on
// pagi/toolkit's router (serve()), against the same route in Express 5 (express.json() + router)
// and written by hand in raw PAGI (serve()). Goals (issue 17): ≥ 1.5× Express, ≥ 0.90× raw PAGI.
import { config } from '../lib/config.mjs';
import { httpScenario } from '../lib/http-scenario.mjs';
import { documentOfOneKilobyte } from '../lib/json-document.mjs';

const body = documentOfOneKilobyte();

await httpScenario({
  scenario: 'toolkit',
  targets: [
    { name: 'express', label: 'Express 5: express.json() + app.post(/items/:id) (native)' },
    { name: 'pagi-raw-serve', label: 'the route in raw PAGI via serve()' },
    { name: 'toolkit-serve', label: 'the route on pagi/toolkit router() via serve()' },
  ],
  kinds: [
    {
      key: 'toolkit',
      title: `toolkit route — POST /items/42 with a ${body.length}-byte JSON body, parsed and answered as JSON`,
      request: { method: 'POST', path: '/items/42', body, headers: { 'content-type': 'application/json' } },
      connections: config.connections,
      unit: 'req/s',
      baselines: [
        { name: 'express', label: 'Express' },
        { name: 'pagi-raw-serve', label: 'raw PAGI' },
      ],
    },
  ],
  profile: { kind: 'toolkit', names: ['express', 'pagi-raw-serve', 'toolkit-serve'] },
});
