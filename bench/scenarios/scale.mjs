// scale: does the bridge's ratio to native Express hold as the load grows? One Express app served
// natively and through toNodeListener(fromExpress(app)); hello with 10, 100 and 1,000 connections,
// then 1 KB, 64 KB and 1 MB response bodies with 100 connections. Goal (issue 11): the ratio must
// not fall as the load grows.
import { config } from '../lib/config.mjs';
import { httpScenario } from '../lib/http-scenario.mjs';

const baselines = [{ name: 'express', label: 'Express' }];
const connectionKinds = [10, 100, 1000].map((connections) => ({
  key: `c${connections}`,
  title: `scale — hello with ${connections} connections`,
  request: { method: 'GET', path: '/' },
  connections,
  unit: 'req/s',
  baselines,
}));
const bodyKinds = [
  ['1k', 1024],
  ['64k', 64 * 1024],
  ['1m', 1024 * 1024],
].map(([key, bytes]) => ({
  key: `body-${key}`,
  title: `scale — ${key.toUpperCase()}B response body, ${config.connections} connections`,
  request: { method: 'GET', path: `/bytes/${bytes}` },
  connections: config.connections,
  unit: 'req/s',
  baselines,
}));

await httpScenario({
  scenario: 'scale',
  targets: [
    { name: 'express', label: 'Express 5 (native)' },
    { name: 'express-bridged', label: 'same app via toNodeListener(fromExpress(app))' },
  ],
  kinds: [...connectionKinds, ...bodyKinds],
});
