/**
 * The built package as users load it: by name, through package.json
 * `exports`, in ESM and CJS. Runs against `dist/` (CI builds before testing).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
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
      await import('pagi/express');
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
      require('pagi/express');
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

  it("runs the README's CommonJS snippets' requires against the CJS build, and they parse", () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const snippets = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((code) => code.includes("require('pagi"));
    expect(snippets.length).toBeGreaterThanOrEqual(4);
    const imports = snippets.flatMap((code) =>
      [...code.matchAll(/const \{ ([\w, ]+) \} = require\('(pagi(?:\/\w+)?)'\)/g)].map((m) => ({ from: m[2]!, names: m[1]!.split(/,\s*/) })),
    );
    expect(imports.length).toBeGreaterThanOrEqual(snippets.length);
    const out = node(['-e', `const wanted = ${JSON.stringify(imports)}; console.log(JSON.stringify(wanted.flatMap(({ from, names }) => names.filter((n) => typeof require(from)[n] !== 'function').map((n) => from + ':' + n))));`]);
    expect(JSON.parse(out)).toEqual([]);
    const dir = mkdtempSync(join(root, 'test/package/.types-'));
    try {
      snippets.forEach((code, i) => {
        writeFileSync(join(dir, `snippet-${i}.cjs`), code);
        node(['--check', join(dir, `snippet-${i}.cjs`)]);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
    for (const file of ['index', 'server/index', 'testing/index', 'channels/index', 'toolkit/index', 'express'].flatMap((f) => [`${f}.d.ts`, `${f}.d.cts`])) {
      expect(existsSync(`${root}dist/${file}`), file).toBe(true);
    }
  });

  it('declares public types in readable files named after their sources, for import and require', () => {
    // No bundler chunk (`errors-FwMw_4OR.d.ts`) anywhere: "Go to definition" must land in a real name.
    const declarations = readdirSync(`${root}dist`, { recursive: true }).map(String).filter((f) => /\.d\.c?ts$/.test(f));
    expect(declarations.length).toBeGreaterThan(20);
    expect(declarations.filter((f) => !existsSync(join(root, 'src', f.replace(/\.d\.c?ts$/, '.ts'))))).toEqual([]);

    // Where TypeScript finds each name, as a user's project resolves `pagi` through package.json exports.
    const dir = mkdtempSync(join(root, 'test/package/.types-'));
    try {
      const source = "import { Disconnected, shadow, type HTTPScope } from 'pagi';\nimport { serve } from 'pagi/server';\nimport { TestClient } from 'pagi/testing';\nexport { Disconnected, shadow, serve, TestClient };\nexport type { HTTPScope };\n";
      // The built augmentation too: `import 'pagi/express'` types req.pagi.
      const express = "import express from 'express';\nimport 'pagi/express';\nexpress().get('/', (req, res) => { const scope: HTTPScope['type'] | string = req.pagi.scope.type; res.send(scope); });\n";
      writeFileSync(join(dir, 'esm.mts'), source + express);
      writeFileSync(join(dir, 'cjs.cts'), source.replaceAll(', type HTTPScope', '').replace('export type { HTTPScope };\n', ''));
      const program = ts.createProgram([join(dir, 'esm.mts'), join(dir, 'cjs.cts')], {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
      });
      const checker = program.getTypeChecker();
      const where = (file: string): Record<string, string> => {
        const module = checker.getSymbolAtLocation(program.getSourceFile(join(dir, file))!)!;
        return Object.fromEntries(
          checker.getExportsOfModule(module).map((symbol) => {
            const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
            return [symbol.name, relative(root, target.declarations![0]!.getSourceFile().fileName)];
          }),
        );
      };
      expect(where('esm.mts')).toEqual({
        Disconnected: 'dist/protocol/errors.d.ts',
        shadow: 'dist/compose/shadow.d.ts',
        serve: 'dist/server/serve.d.ts',
        TestClient: 'dist/testing/client.d.ts',
        HTTPScope: 'dist/protocol/types.d.ts',
      });
      expect(where('cjs.cts')).toEqual({
        Disconnected: 'dist/protocol/errors.d.cts',
        shadow: 'dist/compose/shadow.d.cts',
        serve: 'dist/server/serve.d.cts',
        TestClient: 'dist/testing/client.d.cts',
      });
      const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(errors).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
