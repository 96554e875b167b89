// stream out (GET: 1 MB in 16 KB writes) and upload (POST: 8 MB body counted by the server), MB/s.
import { httpScenario } from '../lib/http-scenario.mjs';

const UPLOAD_MB = 8;
const CONNECTIONS = 8;

await httpScenario({
  scenario: 'stream',
  targets: [
    { name: 'express', label: 'Express 5 (native)' },
    { name: 'express-bridged', label: 'Express 5 via toNodeListener(fromExpress(app))' },
    { name: 'pagi-listener', label: 'PAGI app via toNodeListener' },
  ],
  kinds: [
    {
      key: 'stream-out',
      title: 'stream out — GET / → 1 MB written in 16 KB chunks',
      request: { method: 'GET' },
      connections: CONNECTIONS,
      unit: 'MB/s',
      baselines: [{ name: 'express', label: 'Express' }],
    },
    {
      key: 'upload',
      title: `upload — POST / with an ${UPLOAD_MB} MB body, counted and answered`,
      request: {
        method: 'POST',
        body: Buffer.alloc(UPLOAD_MB * 1024 * 1024, 0x75),
        headers: { 'content-type': 'application/octet-stream' },
      },
      connections: CONNECTIONS,
      unit: 'MB/s',
      megabytesPerRequest: UPLOAD_MB,
      baselines: [{ name: 'express', label: 'Express' }],
    },
  ],
  profile: { kind: 'stream-out', names: ['express', 'express-bridged', 'pagi-listener'] },
});
