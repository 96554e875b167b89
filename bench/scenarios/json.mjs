// json echo: POST a 1 KB JSON document, parsed and echoed back. Bridged express.json() vs native.
import { config } from '../lib/config.mjs';
import { httpScenario } from '../lib/http-scenario.mjs';
import { documentOfOneKilobyte } from '../lib/json-document.mjs';

const body = documentOfOneKilobyte();

await httpScenario({
  scenario: 'json',
  targets: [
    { name: 'express', label: 'Express 5 + express.json() (native)' },
    { name: 'express-bridged', label: 'same app via toNodeListener(fromExpress(app))' },
    { name: 'express-bridged-serve', label: 'same app via serve(fromExpress(app))' },
    { name: 'pagi-listener', label: 'PAGI app via toNodeListener' },
    { name: 'pagi-serve', label: 'PAGI app via serve()' },
  ],
  kinds: [
    {
      key: 'json',
      title: `json echo — POST / with a ${body.length}-byte JSON body, parsed and echoed`,
      request: { method: 'POST', body, headers: { 'content-type': 'application/json' } },
      connections: config.connections,
      unit: 'req/s',
      baselines: [{ name: 'express', label: 'Express' }],
    },
  ],
  profile: { kind: 'json', names: ['express', 'express-bridged', 'pagi-serve'] },
});
