/**
 * proxyHeaders / forwardedAllowIps with real clients: a trusted peer
 * (127.0.0.1) sets scope.client and scheme, an untrusted one (127.0.0.2, the
 * same loopback interface) does not; and bridged Express apps get the right
 * req.ip / req.protocol with and without `trust proxy`.
 */
import http from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { fromExpress } from '../../src/bridge/index.js';
import type { App } from '../../src/protocol/types.js';
import { createProxyTrust } from '../../src/server/proxy-headers.js';
import { startTestServer, type TestServer } from './test-server.js';
import { within } from './helpers.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const describeScope: App = async (scope, _receive, send) => {
  if (scope.type === 'lifespan') throw new Error('no lifespan');
  if (scope.type === 'websocket') {
    await send({ type: 'websocket.accept' });
    await send({ type: 'websocket.send', text: JSON.stringify({ client: scope.client, scheme: scope.scheme }) });
    await send({ type: 'websocket.close' });
    return;
  }
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json']] });
  await send({ type: 'http.response.body', body: JSON.stringify({ client: scope.client, scheme: scope.scheme }) });
};

function get(port: number, headers: Record<string, string>, localAddress = '127.0.0.1'): Promise<any> {
  return within(
    new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', headers, localAddress, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve(JSON.parse(text)));
      });
      req.on('error', reject);
    }),
    5000,
    'request',
  );
}

async function start(app: App, options: Parameters<typeof startTestServer>[1] = {}): Promise<TestServer> {
  const s = await startTestServer(app, options);
  servers.push(s);
  return s;
}

describe('proxyHeaders', () => {
  it('takes client and scheme from X-Forwarded-* of a trusted peer only (rightmost untrusted hop)', async () => {
    const s = await start(describeScope, { proxyHeaders: true, forwardedAllowIps: '127.0.0.1, 10.0.0.0/8' });
    const forged = { 'x-forwarded-for': '6.6.6.6, 203.0.113.9, 10.1.2.3', 'x-forwarded-proto': 'https' };
    expect(await get(s.port, forged)).toEqual({ client: ['203.0.113.9', 0], scheme: 'https' });
    const untrusted = await get(s.port, forged, '127.0.0.2');
    expect(untrusted.client[0]).toBe('127.0.0.2');
    expect(untrusted.scheme).toBe('http');
  });

  it('prefers RFC 7239 Forwarded, with ports and IPv6', async () => {
    const s = await start(describeScope, { proxyHeaders: true });
    const headers = { forwarded: 'for="[2001:db8::1]:4711";proto=https, for=127.0.0.1', 'x-forwarded-for': '9.9.9.9' };
    expect(await get(s.port, headers)).toEqual({ client: ['2001:db8::1', 4711], scheme: 'https' });
  });

  it('ignores the headers when proxyHeaders is off, and trusts everyone with *', async () => {
    const off = await start(describeScope);
    expect((await get(off.port, { 'x-forwarded-for': '203.0.113.9' })).client[0]).toBe('127.0.0.1');
    const all = await start(describeScope, { proxyHeaders: true, forwardedAllowIps: ['*'] });
    expect((await get(all.port, { 'x-forwarded-for': '203.0.113.9' }, '127.0.0.2')).client).toEqual(['203.0.113.9', 0]);
  });

  it('applies to WebSocket scopes too: ws/wss from a trusted peer, the socket peer from others', async () => {
    const s = await start(describeScope, { proxyHeaders: true });
    const headers = { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' };
    const seen = (localAddress: string): Promise<any> =>
      within(
        new Promise((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${s.port}/`, { headers, localAddress });
          ws.once('message', (data) => resolve(JSON.parse(String(data))));
          ws.once('error', reject);
        }),
        5000,
        'websocket message',
      );
    expect(await seen('127.0.0.1')).toEqual({ client: ['203.0.113.9', 0], scheme: 'wss' });
    const untrusted = await seen('127.0.0.2');
    expect(untrusted.client[0]).toBe('127.0.0.2');
    expect(untrusted.scheme).toBe('ws');
  });

  it('rejects bad forwardedAllowIps entries', () => {
    expect(() => createProxyTrust('10.0.0.0/99')).toThrow(/forwardedAllowIps entries must be IP addresses, CIDRs or '\*'/);
    expect(() => createProxyTrust('proxy.local')).toThrow(/got 'proxy.local'/);
  });
});

describe('proxyHeaders with a bridged Express app and trust proxy', () => {
  const headers = { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' };
  const expressApp = (trust: boolean) => {
    const app = express();
    if (trust) app.set('trust proxy', '127.0.0.1');
    app.get('/', (req, res) => res.json({ ip: req.ip, protocol: req.protocol }));
    return fromExpress(app);
  };

  it.each([
    // [proxyHeaders, trust proxy, expected]
    [false, false, { ip: '127.0.0.1', protocol: 'http' }],
    [false, true, { ip: '203.0.113.9', protocol: 'https' }],
    [true, false, { ip: '203.0.113.9', protocol: 'https' }],
    [true, true, { ip: '203.0.113.9', protocol: 'https' }],
  ])('proxyHeaders %s, trust proxy %s', async (proxyHeaders, trust, expected) => {
    const s = await start(expressApp(trust), { proxyHeaders });
    expect(await get(s.port, headers)).toEqual(expected);
    // From an untrusted peer nothing forwarded is believed, by either side.
    expect(await get(s.port, headers, '127.0.0.2')).toEqual({ ip: '127.0.0.2', protocol: 'http' });
  });
});
