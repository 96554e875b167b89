import express from 'express';
import { describe, expect, it } from 'vitest';
import { fromExpress } from '../../src/bridge/index.js';
import { run, within } from './helpers.js';

describe('minimal fromExpress', () => {
  it('GET res.send', async () => {
    const app = express();
    app.get('/hello', (req, res) => { res.send('hi ' + req.query.name); });
    const ex = run(fromExpress(app), { url: '/hello?name=bob' });
    await within(ex.done);
    expect(ex.status()).toBe(200);
    expect(ex.text()).toBe('hi bob');
    expect(ex.header('content-length')).toBe('6');
    expect(ex.header('x-powered-by')).toBe('Express');
    expect(ex.complete()).toBe(true);
  });
  it('POST express.json', async () => {
    const app = express();
    app.use(express.json());
    app.post('/echo', (req, res) => { res.json({ got: req.body }); });
    const body = JSON.stringify({ a: 1 });
    const ex = run(fromExpress(app), { method: 'POST', url: '/echo', headers: [['host', 'x'], ['content-type', 'application/json'], ['content-length', String(body.length)]], body });
    await within(ex.done);
    expect(ex.status()).toBe(200);
    expect(JSON.parse(ex.text())).toEqual({ got: { a: 1 } });
  });
  it('streaming writes', async () => {
    const app = express();
    app.get('/s', (req, res) => { res.write('a'); res.write('b'); setTimeout(() => res.end('c'), 20); });
    const ex = run(fromExpress(app), { url: '/s' });
    await within(ex.done);
    expect(ex.events.map((e) => e.type)).toEqual(['http.response.start', 'http.response.body', 'http.response.body', 'http.response.body']);
    expect(ex.text()).toBe('abc');
  });
  it('404', async () => {
    const app = express();
    const ex = run(fromExpress(app), { url: '/nope' });
    await within(ex.done);
    expect(ex.status()).toBe(404);
    expect(ex.text()).toContain('Cannot GET /nope');
  });
});
