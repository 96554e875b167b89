/**
 * `req.socket.end()`/`destroy()` (also `req.connection`, `res.socket`) inside
 * an Express handler close the client's connection, native vs bridged, on the
 * wire: the bytes sent before, and the connection closed instead of left open.
 * Run with `DIFF_BRIDGE_PATH=fake` too: the emulated path's stub socket must
 * abort the response itself.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachExpress } from './express-versions.js';
import { runScenario, startPair, type Pair, type Scenario } from './harness.js';

const scenarios: Scenario[] = [
  { name: 'req.socket.end() before the head', spec: { path: '/socket-end' } },
  { name: 'req.connection.end() before the head', spec: { path: '/connection-end' } },
  { name: 'res.socket.end() before the head', spec: { path: '/res-socket-end' } },
  { name: 'req.socket.destroy() after part of the body', spec: { path: '/destroy-after-partial' }, status: 200 },
  { name: 'req.socket.end() after part of the body', spec: { path: '/end-after-partial' }, status: 200 },
  {
    name: 'req.socket.end() with the request body still pending',
    spec: { method: 'POST', path: '/socket-end', headers: [['Content-Length', '100']], body: 'only a part' },
  },
  {
    name: 'req.socket.destroy() with the request body still pending',
    spec: { method: 'POST', path: '/socket-destroy', headers: [['Content-Length', '100']], body: 'only a part' },
  },
];

describeEachExpress('socket end/destroy inside a handler: native vs bridged', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => {
      const app = express();
      app.all('/socket-end', (req) => void req.socket.end());
      app.all('/socket-destroy', (req) => void req.socket.destroy());
      app.get('/connection-end', (req) => void req.connection.end());
      app.get('/res-socket-end', (_req, res) => void res.socket?.end());
      app.get('/destroy-after-partial', (req, res) => {
        res.write('partial');
        setTimeout(() => req.socket.destroy(), 20);
      });
      app.get('/end-after-partial', (req, res) => {
        res.write('partial');
        setTimeout(() => req.socket.end(), 20);
      });
      return app;
    });
  });
  afterAll(async () => {
    await pair.close();
  });
  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      const result = await runScenario(pair, { ...scenario, options: { timeoutMs: 2000 } });
      // Closed, not left waiting (a timeout would mean the connection stayed open).
      expect(result.native.end).toBe('truncated');
      expect(result.bridged.end).toBe('truncated');
    });
  }
});
