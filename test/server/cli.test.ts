import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../differential/tls-cert.js';
import { FIXTURES, ROOT, killChildren, runCli, waitFor, within, type Child } from './helpers.js';

const fixture = (name: string) => path.join(FIXTURES, name);

/** Starts the CLI on a free port and waits for its "listening" line. */
async function startCli(args: string[]): Promise<{ child: Child; url: string }> {
  const child = runCli(['--port', '0', ...args]);
  const match = await child.waitOutput(/listening on (https?:\/\/\S+)/);
  return { child, url: match[1] as string };
}

async function occupiedPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  return {
    port: (blocker.address() as net.AddressInfo).port,
    close: () => new Promise((r) => blocker.close(() => r())),
  };
}

describe('pagi-server: mistakes get one line and a non-zero exit', () => {
  // The cases run concurrently: reap stragglers only once all of them are done.
  afterAll(() => killChildren());

  const cases: Array<[string, string[], RegExp, number]> = [
    ['no app', [], /missing the app to run/, 2],
    ['an unknown option', ['--frobnicate', fixture('hello.mjs')], /unknown option --frobnicate/, 2],
    ['an option without its value', [fixture('hello.mjs'), '--port'], /option --port needs a value/, 2],
    ['a bad port', ['--port', '99999', fixture('hello.mjs')], /--port must be an integer from 0 to 65535, got '99999'/, 2],
    ['a bad worker count', ['--workers', 'two', fixture('hello.mjs')], /--workers must be an integer/, 2],
    ['a bad body size', ['--max-body-size', 'lots', fixture('hello.mjs')], /--max-body-size must be a number of bytes/, 2],
    ['a bad log level', ['--log-level', 'loud', fixture('hello.mjs')], /--log-level must be debug, info, warn, error or silent/, 2],
    ['a key without a certificate', ['--ssl-key', 'k.pem', fixture('hello.mjs')], /--ssl-key and --ssl-cert must be given together/, 2],
    ['an unreadable key file', ['--ssl-key', 'nope.pem', '--ssl-cert', 'nope.pem', fixture('hello.mjs')], /cannot read the --ssl-key file nope\.pem: ENOENT/, 2],
    ['a missing file', ['./no/such/app.js'], /cannot find the app file \.\/no\/such\/app\.js/, 1],
    ['a missing export', [`${fixture('hello.mjs')}:nope`], /has no export named 'nope'/, 1],
    ['an export that is not an app', [`${fixture('hello.mjs')}:notAnApp`], /hello\.mjs:notAnApp is number, not a PAGI app/, 1],
    ['a module that throws on import', [fixture('throws-on-import.mjs')], /cannot load .*throws-on-import\.mjs: configuration missing/, 1],
    ['an unsupported file type', [path.join(ROOT, 'package.json')], /package\.json: unsupported file type '\.json'/, 1],
  ];

  it.concurrent.each(cases)('%s', async (_name, args, message, code) => {
    const child = runCli(args);
    expect(await child.exited()).toBe(code);
    const stderr = child.stderr();
    expect(stderr).toMatch(/^pagi-server: error: .+\n$/);
    expect(stderr).toMatch(message);
    expect(child.stdout()).toBe('');
  });

  it('reports a port in use', async () => {
    const blocker = await occupiedPort();
    try {
      const child = runCli(['--port', String(blocker.port), fixture('hello.mjs')]);
      expect(await child.exited()).toBe(1);
      expect(child.stderr()).toMatch(new RegExp(`^pagi-server: error: cannot listen on 127\\.0\\.0\\.1:${blocker.port}: the address is already in use\\n$`));
    } finally {
      await blocker.close();
    }
  });

  it('exits non-zero with the message when lifespan startup fails, never listening', async () => {
    const child = runCli(['--port', '0', fixture('startup-fails.mjs')]);
    expect(await child.exited()).toBe(1);
    expect(child.stderr()).toBe('pagi-server: error: application startup failed: database unreachable\n');
  });
});

describe('pagi-server: running apps', () => {
  afterEach(() => killChildren());

  it('prints --help and --version', async () => {
    const help = runCli(['--help']);
    expect(await help.exited()).toBe(0);
    expect(help.stdout()).toMatch(/^Usage: pagi-server \[options\] <app>/);
    const version = runCli(['--version']);
    expect(await version.exited()).toBe(0);
    expect(version.stdout()).toMatch(/^pagi-server \d+\.\d+\.\d+/);
  });

  it('runs a TypeScript app with lifespan state in request scopes and an access log on stdout', async () => {
    const { child, url } = await startCli([fixture('app.ts')]);
    const body = (await (await fetch(`${url}/state`)).json()) as { pid: number; state: { startedBy: number; pagi: unknown } };
    expect(body.state.startedBy).toBe(body.pid);
    expect(body.state.pagi).toEqual({ version: '0.5', spec_version: '0.3', is_worker: false });
    await waitFor(() => /"GET \/state HTTP\/1\.1" 200 \d+/.test(child.stdout()), 5000, 'access log line');
    child.proc.kill('SIGTERM');
    expect(await child.exited()).toBe(0);
    expect(child.stderr()).toMatch(/lifespan shutdown/);
  });

  it('runs CommonJS apps, named exports and to_app() objects; --no-access-log', async () => {
    for (const spec of [fixture('commonjs.cjs'), `${fixture('commonjs.cjs')}:named`, `${fixture('hello.mjs')}:factory`]) {
      const { child, url } = await startCli(['--no-access-log', spec]);
      expect((await fetch(`${url}/x`)).status).toBe(200);
      child.proc.kill('SIGTERM');
      expect(await child.exited()).toBe(0);
      expect(child.stdout()).toBe('');
    }
  });

  it('completes 100 in-flight slow requests on SIGTERM, then exits 0', async () => {
    const { child, url } = await startCli([fixture('app.ts'), '--no-access-log']);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 100 });
    const requests = Array.from(
      { length: 100 },
      () =>
        new Promise<number>((resolve, reject) => {
          http
            .get(`${url}/slow?ms=1500`, { agent }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            })
            .on('error', reject);
        }),
    );
    await child.waitOutput(/slow-start 100\n/, 20_000);
    child.proc.kill('SIGTERM');
    const statuses = await within(Promise.all(requests), 20_000, '100 responses');
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(await child.exited()).toBe(0);
    expect(child.stderr()).toMatch(/SIGTERM received/);
    agent.destroy();
  });

  it('forces the exit on a second signal', async () => {
    const { child, url } = await startCli([fixture('app.ts')]);
    http.get(`${url}/hang`).on('error', () => {});
    await child.waitOutput(/hanging/);
    child.proc.kill('SIGTERM');
    await child.waitOutput(/shutting down gracefully/);
    child.proc.kill('SIGTERM');
    expect(await child.exited(5000)).toBe(143);
  });

  it('maps --root-path, --max-body-size and --ssl-key/--ssl-cert onto the server', async () => {
    const { key, cert } = await selfSignedCert();
    const dir = await mkdtemp(path.join(tmpdir(), 'pagi-cli-tls-'));
    try {
      await writeFile(path.join(dir, 'key.pem'), key);
      await writeFile(path.join(dir, 'cert.pem'), cert);
      const { child, url } = await startCli([
        '--root-path', '/api',
        '--max-body-size', '1k',
        '--ssl-key', path.join(dir, 'key.pem'),
        '--ssl-cert', path.join(dir, 'cert.pem'),
        fixture('app.ts'),
      ]);
      expect(url).toMatch(/^https:\/\//);
      const get = await httpsRequest(`${url}/scope`, 'GET', '');
      expect(JSON.parse(get.body)).toEqual({ root_path: '/api', raw_path: '/api/scope', scheme: 'https', tls: true });
      expect((await httpsRequest(`${url}/scope`, 'POST', 'x'.repeat(2048))).status).toBe(413);
      child.proc.kill('SIGTERM');
      expect(await child.exited()).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function httpsRequest(url: string, method: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, rejectUnauthorized: false, headers: { 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
