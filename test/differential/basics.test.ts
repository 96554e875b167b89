/**
 * Express response basics, native vs bridged: every `res.*` helper of the
 * issue's "Must work" list, ETag/304, automatic HEAD and OPTIONS, 404s,
 * keep-alive and HTTP/1.0 framing.
 */
import express from 'express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachExpress, type ExpressModule } from './express-versions.js';
import { expectSame, first, header, itFor, runScenario, startPair, type Pair, type Scenario } from './harness.js';
import { buildRequest } from './raw-client.js';

function basicsApp(express: ExpressModule): express.Express {
  const app = express();
  app.get('/text', (_req, res) => {
    res.send('hello world');
  });
  app.get('/html', (_req, res) => {
    res.send('<p>héllo</p>');
  });
  app.get('/buffer', (_req, res) => {
    res.send(Buffer.from([0, 1, 2, 3, 255]));
  });
  app.get('/json', (_req, res) => {
    res.json({ a: 1, nested: { u: 'ü€' }, list: [true, null] });
  });
  app.get('/json-null', (_req, res) => {
    res.json(null);
  });
  app.get('/status', (_req, res) => {
    res.status(201).send('created');
  });
  app.get('/set', (_req, res) => {
    res.set({ 'X-One': '1', 'X-Many': ['a', 'b', 'c'] }).set('Content-Type', 'text/plain').send('ok');
  });
  app.get('/send-status', (_req, res) => {
    res.sendStatus(418);
  });
  app.get('/format', (_req, res) => {
    res.format({
      'text/plain': () => res.send('plain'),
      'text/html': () => res.send('<b>html</b>'),
      'application/json': () => res.json({ kind: 'json' }),
    });
  });
  app.get('/attachment', (_req, res) => {
    res.attachment('report ü.pdf').send('%PDF-fake');
  });
  app.get('/append', (_req, res) => {
    res.append('Link', '<http://a/>').append('Link', ['<http://b/>', '<http://c/>']).append('X-Trace', 'one');
    res.send('appended');
  });
  app.get('/vary', (_req, res) => {
    res.vary('Accept').vary('Origin').vary('accept').send('varied');
  });
  app.get('/links', (_req, res) => {
    res.links({ next: 'http://api/?page=2', last: 'http://api/?page=5' }).send('linked');
  });
  app.get('/jsonp', (_req, res) => {
    res.jsonp({ user: 'tobi' });
  });
  app.get('/location', (_req, res) => {
    res.location('/elsewhere?x=ü').status(202).end();
  });
  app.get('/redirect', (_req, res) => {
    res.redirect('/target');
  });
  app.get('/redirect-301', (_req, res) => {
    res.redirect(301, 'http://example.com/a b');
  });
  app.get('/cookie', (_req, res) => {
    res.cookie('plain', 'value', { httpOnly: true, path: '/p' });
    res.cookie('obj', { a: [1, 2] }, { sameSite: 'lax' });
    res.cookie('expiring', 'soon', { expires: new Date(Date.UTC(2030, 0, 1)), secure: true });
    res.send('cookies');
  });
  app.get('/clear-cookie', (_req, res) => {
    res.clearCookie('gone', { path: '/admin' }).send('cleared');
  });
  // Node writes a stored head glued to a first utf8 string chunk as UTF-8, otherwise as latin1;
  // with an implicit length it also mangles Content-Disposition (nodejs/node#46528).
  app.get('/latin1-header/:how', (req, res) => {
    res.setHeader('X-Name', 'Zoë ü');
    res.setHeader('Content-Disposition', 'attachment; filename="zoë.txt"');
    if (req.params['how'] === 'string') res.end('text body');
    else if (req.params['how'] === 'latin1') res.end('text body', 'latin1');
    else if (req.params['how'] === 'chunked') res.write('text body'), res.end();
    else res.end(Buffer.from('buffer body'));
  });
  app.get('/etag', (_req, res) => {
    res.send('content with an etag');
  });
  app.get('/empty-end', (_req, res) => {
    res.end();
  });
  app.get('/no-content', (_req, res) => {
    res.status(204).send('dropped body');
  });
  app.get('/type', (_req, res) => {
    res.type('png').send(Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'));
  });
  app.get('/write-no-length', (_req, res) => {
    res.write('part one, ');
    res.end('part two');
  });
  app.route('/multi').get((_req, res) => res.send('get')).put((_req, res) => res.send('put'));
  app.get('/unicode-body', (_req, res) => {
    res.type('text').send('日本語テキスト 🚀');
  });
  return app;
}

const scenarios: Scenario[] = [
  { name: 'res.send(string) as text/html', spec: { path: '/text' }, status: 200 },
  { name: 'res.send(string) with UTF-8 characters', spec: { path: '/html' }, status: 200 },
  { name: 'res.send(Buffer) as octet-stream', spec: { path: '/buffer' }, status: 200 },
  { name: 'res.json(object)', spec: { path: '/json' }, status: 200 },
  { name: 'res.json(null)', spec: { path: '/json-null' }, status: 200 },
  { name: 'res.status(201).send()', spec: { path: '/status' }, status: 201 },
  { name: 'res.set with an object and an array value', spec: { path: '/set' }, status: 200 },
  { name: 'res.sendStatus(418)', spec: { path: '/send-status' }, status: 418 },
  { name: 'res.format picks text/html', spec: { path: '/format', headers: [['Accept', 'text/html']] }, status: 200 },
  { name: 'res.format picks JSON', spec: { path: '/format', headers: [['Accept', 'application/json']] }, status: 200 },
  { name: 'res.format answers 406', spec: { path: '/format', headers: [['Accept', 'image/webp']] }, status: 406 },
  { name: 'res.attachment with a UTF-8 file name', spec: { path: '/attachment' }, status: 200 },
  ...['string', 'latin1', 'chunked', 'buffer'].map((how) => ({
    name: `a latin1-range header value with a ${how} body reaches the wire as Node encodes it`,
    spec: { path: `/latin1-header/${how}` },
    status: 200,
  })),
  { name: 'res.append builds repeated values', spec: { path: '/append' }, status: 200 },
  { name: 'res.vary merges names', spec: { path: '/vary' }, status: 200 },
  { name: 'res.links', spec: { path: '/links' }, status: 200 },
  { name: 'res.jsonp with a callback', spec: { path: '/jsonp?callback=handle' }, status: 200 },
  { name: 'res.jsonp without a callback', spec: { path: '/jsonp' }, status: 200 },
  { name: 'res.location with a non-ASCII URL', spec: { path: '/location' }, status: 202 },
  { name: 'res.redirect (302, text body)', spec: { path: '/redirect' }, status: 302 },
  {
    name: 'res.redirect(301) with an HTML body',
    spec: { path: '/redirect-301', headers: [['Accept', 'text/html']] },
    status: 301,
  },
  { name: 'res.redirect to HEAD has no body', spec: { method: 'HEAD', path: '/redirect' }, status: 302 },
  {
    name: 'res.cookie writes three Set-Cookie headers in order',
    spec: { path: '/cookie' },
    status: 200,
    check: ({ bridged }) => {
      expect(first(bridged).headers.filter(([n]) => n.toLowerCase() === 'set-cookie')).toHaveLength(3);
    },
  },
  { name: 'res.clearCookie', spec: { path: '/clear-cookie' }, status: 200 },
  {
    name: 'ETag is generated',
    spec: { path: '/etag' },
    status: 200,
    check: ({ native }) => {
      expect(header(native, 'etag')).toMatch(/^W\//);
    },
  },
  {
    name: 'If-None-Match with the ETag gives 304 without body',
    spec: { path: '/etag', headers: [['If-None-Match', 'W/"14-placeholder"']] },
    status: 200,
  },
  { name: 'res.end() with nothing', spec: { path: '/empty-end' }, status: 200 },
  { name: 'status 204 drops the body and length', spec: { path: '/no-content' }, status: 204 },
  { name: 'res.type("png")', spec: { path: '/type' }, status: 200 },
  { name: 'res.write then end without length is chunked', spec: { path: '/write-no-length' }, status: 200 },
  { name: 'automatic HEAD for a GET route', spec: { method: 'HEAD', path: '/text' }, status: 200 },
  { name: 'HEAD of a chunked GET route', spec: { method: 'HEAD', path: '/write-no-length' }, status: 200 },
  { name: 'automatic OPTIONS lists the allowed methods', spec: { method: 'OPTIONS', path: '/multi' }, status: 200 },
  { name: 'unknown path gives the final 404', spec: { path: '/nope/%20x' }, status: 404 },
  { name: 'unrouted method gives 404', spec: { method: 'DELETE', path: '/multi' }, status: 404 },
  { name: 'UTF-8 text body', spec: { path: '/unicode-body' }, status: 200 },
  { name: 'HTTP/1.0 request with a length', spec: { path: '/text', httpVersion: '1.0' }, status: 200 },
  {
    name: 'HTTP/1.0 streamed response is close-delimited',
    spec: { path: '/write-no-length', httpVersion: '1.0' },
    status: 200,
    check: ({ native }) => {
      expect(first(native).framing).toBe('close-delimited');
    },
  },
  {
    name: 'Connection: close is honoured',
    spec: { path: '/text', headers: [['Connection', 'close']] },
    options: { observeCloseMs: 300 },
    compare: { compareServerClose: true },
    status: 200,
  },
];

describeEachExpress('Express basics: native vs bridged', (express) => {
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair(() => basicsApp(express));
  });
  afterAll(async () => {
    await pair.close();
  });

  for (const scenario of scenarios) {
    itFor(scenario)(scenario.name, async () => {
      await runScenario(pair, scenario);
    });
  }

  it('If-None-Match with the real ETag gives 304 on both sides', async () => {
    const probe = await pair.request({ path: '/etag' });
    const etag = header(probe.native, 'etag') ?? '';
    expect(header(probe.bridged, 'etag')).toBe(etag);
    await runScenario(pair, { name: '304', spec: { path: '/etag', headers: [['If-None-Match', etag]] }, status: 304 });
  });

  it('two pipelined keep-alive requests on one connection', async () => {
    const request = Buffer.concat([buildRequest({ path: '/text' }), buildRequest({ path: '/json' })]);
    const result = await pair.exchange({ request, methods: ['GET', 'GET'] });
    expect(result.native.responses).toHaveLength(2);
    expectSame(result);
  });
});
