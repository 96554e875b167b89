/**
 * `pagi-server ./app.mjs` where the module exports an Express app, Router or
 * Connect app instead of a PAGI app: served through `fromExpress` with one
 * info line, instead of starting cleanly and answering 500 to everything
 * (`res.setHeader is not a function`). Real Express 4 and 5, ESM and
 * CommonJS, default and named exports, on a real child process.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeHandlerKind } from '../../src/server/load-app.js';
import express from 'express';
import { FIXTURES, killChildren, runCli } from './helpers.js';

afterAll(() => killChildren());

const fixture = (name: string) => path.join(FIXTURES, 'express', name);

describe('pagi-server serves Express and Connect exports through fromExpress', () => {
  it.concurrent.each([
    ['an Express 5 app (ESM default export)', fixture('express5.mjs'), 'an Express app', 'express5'],
    ['an Express 4 app (module.exports)', fixture('express4.cjs'), 'an Express app', 'express4'],
    ['an express.Router() (named ESM export)', `${fixture('router.mjs')}:router`, 'an Express Router', 'router'],
    ['a Connect-style app (module.exports)', fixture('connect-style.cjs'), 'a Connect app', 'connect'],
  ])('%s', async (_name, spec, kind, servedBy) => {
    const child = runCli(['--port', '0', '--no-access-log', spec]);
    const url = (await child.waitOutput(/listening on (http:\/\/\S+)/))[1] as string;
    const res = await fetch(`${url}/hello/ann`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-served-by')).toBe(servedBy);
    expect(await res.text()).toBe('hello ann');
    const missing = await fetch(`${url}/nope`, { signal: AbortSignal.timeout(5000) });
    expect(missing.status).toBe(404);
    await missing.text();
    const how = kind === 'an Express Router' ? 'in an Express app through fromExpress()' : 'through fromExpress()';
    const line = `pagi info: ${spec} exports ${kind}, not a PAGI app: serving it ${how}`;
    expect(child.stderr().split(line).length - 1).toBe(1);
    expect(child.stderr()).not.toMatch(/setHeader|pagi error/);
    child.proc.kill('SIGTERM');
    expect(await child.exited()).toBe(0);
  });

  it('the Express 5 app keeps its middleware (express.json) through the bridge', async () => {
    const child = runCli(['--port', '0', '--no-access-log', fixture('express5.mjs')]);
    const url = (await child.waitOutput(/listening on (http:\/\/\S+)/))[1] as string;
    const res = await fetch(`${url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1 }),
      signal: AbortSignal.timeout(5000),
    });
    expect(await res.json()).toEqual({ a: 1 });
    child.proc.kill('SIGTERM');
    expect(await child.exited()).toBe(0);
  });
});

describe('nodeHandlerKind', () => {
  it('tells Express apps, Routers, Connect apps and PAGI apps apart', () => {
    expect(nodeHandlerKind(express())).toBe('an Express app');
    expect(nodeHandlerKind(express.Router())).toBe('an Express Router');
    expect(nodeHandlerKind(Object.assign(() => {}, { handle: () => {} }))).toBe('a Connect-style handler');
    expect(nodeHandlerKind(async () => {})).toBeUndefined();
    expect(nodeHandlerKind({ handle: () => {} })).toBeUndefined();
  });
});
