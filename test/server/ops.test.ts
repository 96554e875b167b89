/**
 * Issue 13 options with real servers and clients: limits, lifespan modes,
 * Unix sockets, inherited fds, log formats, env files (CLI processes).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { App } from '../../src/protocol/types.js';
import { CLI, ROOT, deferred, killChildren, runCli, within } from './helpers.js';
import { startTestServer, type TestServer } from './test-server.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  killChildren();
});

const hello: App = async (scope, _receive, send) => {
  if (scope.type !== 'http') throw new Error('http only');
  await send({ type: 'http.response.start', status: 200, headers: [] });
  await send({ type: 'http.response.body', body: 'hi' });
};

function request(options: http.RequestOptions): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return within(
    new Promise((resolve, reject) => {
      const req = http.get({ agent: false, ...options }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
    }),
    5000,
    'request',
  );
}

describe('limits', () => {
  it('limitConcurrency: 503 with Retry-After beyond N open requests', async () => {
    const release = deferred();
    const app: App = async (scope, receive, send) => {
      if (scope.type !== 'http') throw new Error('http only');
      if (scope.path === '/hold') await release.promise;
      await hello(scope, receive, send);
    };
    const s = await startTestServer(app, { limitConcurrency: 1 });
    servers.push(s);
    const held = request({ host: '127.0.0.1', port: s.port, path: '/hold' });
    await new Promise((r) => setTimeout(r, 100));
    const refused = await request({ host: '127.0.0.1', port: s.port, path: '/' });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    release.resolve();
    expect((await held).status).toBe(200);
    expect((await request({ host: '127.0.0.1', port: s.port, path: '/' })).status).toBe(200);
  });

  it('limitConcurrency counts open WebSockets: a handshake beyond the limit gets 503, a closed socket frees its place', async () => {
    const app: App = async (scope, receive, send) => {
      if (scope.type === 'websocket') {
        await receive();
        await send({ type: 'websocket.accept' });
        while ((await receive()).type !== 'websocket.disconnect');
        return;
      }
      await hello(scope, receive, send);
    };
    const s = await startTestServer(app, { limitConcurrency: 1 });
    servers.push(s);
    const open = (): Promise<{ ws: WebSocket; status: number }> =>
      within(
        new Promise((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws`);
          ws.once('open', () => resolve({ ws, status: 101 }));
          ws.once('unexpected-response', (_req, res) => {
            expect(res.headers['retry-after']).toBe('1');
            res.resume();
            resolve({ ws, status: res.statusCode ?? 0 });
          });
          ws.once('error', reject);
        }),
        5000,
        'websocket handshake',
      );
    const first = await open();
    expect(first.status).toBe(101);
    expect((await open()).status).toBe(503);
    expect((await request({ host: '127.0.0.1', port: s.port, path: '/' })).status).toBe(503);
    const closed = new Promise((r) => first.ws.once('close', r));
    first.ws.close();
    await within(closed, 5000, 'websocket close');
    await new Promise((r) => setTimeout(r, 50));
    const again = await open();
    expect(again.status).toBe(101);
    again.ws.close();
  });

  it('websocket.pingInterval / pingTimeout ping every open socket and end one whose pong is late; perMessageDeflate is negotiated only when on', async () => {
    const reasons: string[] = [];
    const app: App = async (scope, receive, send) => {
      if (scope.type !== 'websocket') return hello(scope, receive, send);
      await receive();
      await send({ type: 'websocket.accept' });
      for (;;) {
        const event = await receive();
        if (event.type === 'websocket.disconnect') {
          reasons.push(String((event as { reason?: unknown }).reason ?? event.code));
          return;
        }
      }
    };
    const s = await startTestServer(app, { websocket: { pingInterval: 0.1, pingTimeout: 0.2, perMessageDeflate: true } });
    servers.push(s);
    const pinged = new WebSocket(`ws://127.0.0.1:${s.port}/`);
    await within(new Promise((r) => pinged.once('open', r)), 5000, 'open');
    expect(pinged.extensions).toContain('permessage-deflate');
    await within(new Promise((r) => pinged.once('ping', r)), 5000, 'a server ping');
    const silent = new WebSocket(`ws://127.0.0.1:${s.port}/`, { autoPong: false } as WebSocket.ClientOptions);
    const closed = new Promise<number>((r) => silent.once('close', (code) => r(code)));
    expect(await within(closed, 5000, 'close of a socket that never pongs')).toBe(1006);
    expect(pinged.readyState).toBe(WebSocket.OPEN);
    pinged.close();
    await within(new Promise((r) => pinged.once('close', r)), 5000, 'close');

    const plain = await startTestServer(app);
    servers.push(plain);
    const ws = new WebSocket(`ws://127.0.0.1:${plain.port}/`);
    await within(new Promise((r) => ws.once('open', r)), 5000, 'open');
    expect(ws.extensions).toBe('');
    ws.close();
  });

  it('limitMaxRequests without workers: serves N requests, then shuts down gracefully', async () => {
    const s = await startTestServer(hello, { limitMaxRequests: 2 });
    expect((await request({ host: '127.0.0.1', port: s.port })).status).toBe(200);
    expect((await request({ host: '127.0.0.1', port: s.port })).status).toBe(200);
    await within(s.handle.closed, 5000, 'shutdown after max requests');
  });

  it("lifespan 'off' never runs it; 'on' refuses an app without lifespan support", async () => {
    let lifespanRan = false;
    const app: App = async (scope, receive, send) => {
      if (scope.type === 'lifespan') {
        lifespanRan = true;
        throw new Error('no lifespan here');
      }
      await hello(scope, receive, send);
    };
    const off = await startTestServer(app, { lifespan: 'off' });
    servers.push(off);
    expect(lifespanRan).toBe(false);
    await expect(startTestServer(app, { lifespan: 'on' })).rejects.toThrow(/does not support the lifespan protocol/);
  });

  it('backlog reaches the listening socket (ss shows it as Send-Q)', async () => {
    const s = await startTestServer(hello, { backlog: 7 });
    servers.push(s);
    const out = await new Promise<string>((resolve) => {
      const ss = spawn('ss', ['-ltnH', `sport = :${s.port}`]);
      let text = '';
      ss.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
      ss.on('close', () => resolve(text));
    });
    expect(out.trim().split(/\s+/)[2]).toBe('7');
  });
});

describe('listeners', () => {
  it('uds with udsMode: served over the Unix socket with that file mode', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pagi-uds-'));
    try {
      const socketPath = path.join(dir, 'app.sock');
      const s = await startTestServer(hello, { uds: socketPath, udsMode: 0o600 });
      servers.push(s);
      expect(s.handle.url).toBe(`http+unix://${encodeURIComponent(socketPath)}`);
      expect((await stat(socketPath)).mode & 0o777).toBe(0o600);
      expect((await request({ socketPath, path: '/' })).body).toBe('hi');
      await s.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('pagi-server --fd 3 serves on a listening socket passed as fd 3', async () => {
    const listener = net.createServer();
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as net.AddressInfo).port;
    const fd = (listener as unknown as { _handle: { fd: number } })._handle.fd;
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--fd', '3', path.join(ROOT, 'test/server/fixtures/hello.mjs')], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe', fd],
    });
    try {
      let out = '';
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
      await within(new Promise<void>((resolve) => child.stderr?.on('data', () => /listening on/.test(out) && resolve())), 20_000, 'listening');
      listener.close(); // the child has its own copy of the socket
      expect((await request({ host: '127.0.0.1', port, path: '/x' })).body).toBe('hello /x');
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('logs and env files', () => {
  it('--log-format json and --access-log-format json: one JSON object per line; --env-file loads variables', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pagi-env-'));
    try {
      const app = path.join(dir, 'app.mjs');
      await writeFile(
        app,
        `export default async (scope, receive, send) => {
  if (scope.type !== 'http') throw new Error('http only');
  await send({ type: 'http.response.start', status: 200, headers: [] });
  await send({ type: 'http.response.body', body: process.env.GREETING ?? 'unset' });
};\n`,
      );
      await writeFile(path.join(dir, '.env'), 'GREETING=from-env-file\n');
      const child = runCli(['--port', '0', '--log-format', 'json', '--access-log-format', 'json', '--env-file', path.join(dir, '.env'), app]);
      const match = await child.waitOutput(/"listening on (http:\/\/[^"]+)"/);
      const url = new URL(match[1] as string);
      const res = await request({ host: url.hostname, port: Number(url.port), path: '/p', headers: { 'x-forwarded-for': '1.2.3.4' } });
      expect(res.body).toBe('from-env-file');
      await child.waitOutput(/"method":"GET"/);
      const access = JSON.parse(child.stdout().trim().split('\n').at(-1) as string);
      expect(access).toMatchObject({ level: 'info', method: 'GET', path: '/p', status: 200, bytes: 13, client: '127.0.0.1' });
      expect(typeof access.duration).toBe('number');
      expect(typeof access.time).toBe('string');
      for (const line of child.stderr().trim().split('\n')) expect(Object.keys(JSON.parse(line))).toEqual(expect.arrayContaining(['time', 'level', 'message']));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
