/**
 * The built package as users load it: by name, through package.json
 * `exports`, in ESM and CJS. Runs against `dist/` (CI builds before testing).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(`${root}dist/index.js`);

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 20_000 });
}

describe.skipIf(!built)('the built package (dist/)', () => {
  it('loads every subpath by name in ESM, sharing one Disconnected class', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `
      const core = await import('pagi');
      const server = await import('pagi/server');
      const testing = await import('pagi/testing');
      const channels = await import('pagi/channels');
      const toolkit = await import('pagi/toolkit');
      const names = ['fromExpress','toNodeListener','toExpress','mount','cascade','lint','Disconnected','InvalidEvent','OutOfOrder'];
      const missing = names.filter((n) => typeof core[n] !== 'function');
      const err = new core.Disconnected('client_closed');
      console.log(JSON.stringify({
        missing,
        serve: typeof server.serve,
        client: typeof testing.TestClient,
        channels: [typeof channels.createMemoryLayer, typeof channels.createClusterLayer, typeof channels.createRedisLayer, typeof channels.withChannels],
        channelsError: new channels.InvalidMessage('data', 'x') instanceof core.PagiError,
        toolkit: ['router', 'readJson', 'sendJson', 'sendFile', 'readMultipart', 'HttpError'].filter((n) => typeof toolkit[n] !== 'function'),
        shared: server.LifespanStartupFailed === core.LifespanStartupFailed,
        sharedBase: new toolkit.HttpError(404) instanceof core.PagiError,
        code: err.code,
      }));
      `,
    ]);
    expect(JSON.parse(out)).toEqual({
      missing: [],
      serve: 'function',
      client: 'function',
      channels: ['function', 'function', 'function', 'function'],
      channelsError: true,
      toolkit: [],
      shared: true,
      sharedBase: true,
      code: 'ERR_PAGI_DISCONNECTED',
    });
  });

  it('loads every subpath by name in CJS', () => {
    const out = node([
      '-e',
      `
      const core = require('pagi');
      const server = require('pagi/server');
      const testing = require('pagi/testing');
      const toolkit = require('pagi/toolkit');
      console.log(JSON.stringify([typeof core.fromExpress, typeof server.serve, typeof testing.TestClient,
        server.LifespanStartupFailed === core.LifespanStartupFailed, typeof toolkit.router]));
      `,
    ]);
    expect(JSON.parse(out)).toEqual(['function', 'function', 'function', true, 'function']);
  });

  it('calls into the toolkit dependencies (busboy, range-parser, etag, fresh, mime-types) from ESM and CJS', () => {
    // Default imports of CommonJS packages only fail when called, so call them.
    const script = `
      const B = 'b';
      const body = Buffer.from('--' + B + '\\r\\nContent-Disposition: form-data; name="f"; filename="a.txt"\\r\\n\\r\\nhi\\r\\n--' + B + '--\\r\\n');
      const scope = { type: 'http', method: 'GET', headers: [['content-type', 'multipart/form-data; boundary=' + B], ['range', 'bytes=0-1']] };
      const names = [];
      for await (const part of t.readMultipart(scope, async () => ({ type: 'http.request', body, more: false }))) names.push(part.filename);
      const events = [];
      await t.sendFile(async (e) => events.push(e.status ?? e.length), scope, process.cwd() + '/package.json');
      console.log(JSON.stringify({ names, events }));
    `;
    const expected = { names: ['a.txt'], events: [206, 2] };
    expect(JSON.parse(node(['--input-type=module', '-e', `const t = await import('pagi/toolkit'); ${script}`]))).toEqual(expected);
    expect(JSON.parse(node(['-e', `const t = require('pagi/toolkit'); (async () => { ${script} })()`]))).toEqual(expected);
  });

  it('loads pagi/channels without loading a Redis client (the app passes its own)', () => {
    const out = node([
      '-e',
      `
      const channels = require('pagi/channels');
      const layer = channels.createMemoryLayer();
      const loaded = Object.keys(require.cache).filter((file) => /node_modules[\\/](redis|@redis|ioredis)[\\/]/.test(file));
      console.log(JSON.stringify({ kind: layer.kind, loaded }));
      `,
    ]);
    expect(JSON.parse(out)).toEqual({ kind: 'memory', loaded: [] });
  });

  it('ships type declarations for every subpath', () => {
    for (const file of ['index.d.ts', 'index.d.cts', 'server/index.d.ts', 'server/index.d.cts', 'testing/index.d.ts', 'testing/index.d.cts', 'channels/index.d.ts', 'channels/index.d.cts', 'toolkit/index.d.ts', 'toolkit/index.d.cts']) {
      expect(existsSync(`${root}dist/${file}`), file).toBe(true);
    }
  });
});
