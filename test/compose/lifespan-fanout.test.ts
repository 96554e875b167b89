/**
 * Which apps behind `mount`/`cascade` take part in lifespan (lifespan-fanout.ts):
 * failing before receiving `lifespan.startup` or sending HTTP events on the
 * lifespan scope leaves an app out with one warning; a deliberate decline is
 * silent; failing after receiving startup fails the whole startup with the cause.
 */
import { describe, expect, it } from 'vitest';
import { cascade } from '../../src/compose/cascade.js';
import { mount } from '../../src/compose/mount.js';
import { LifespanStartupFailed, UnsupportedScope } from '../../src/protocol/errors.js';
import type { App } from '../../src/protocol/types.js';
import { TestClient } from '../../src/testing/index.js';

const lifespanOk: App = async (scope, receive, send) => {
  if (scope.type !== 'lifespan') throw new UnsupportedScope(scope.type, 'test');
  await receive();
  scope.state.ok = true;
  await send({ type: 'lifespan.startup.complete' });
  await receive();
  await send({ type: 'lifespan.shutdown.complete' });
};

function collect(): { warnings: string[]; onWarning: (message: string) => void } {
  const warnings: string[] = [];
  return { warnings, onWarning: (message) => void warnings.push(message) };
}

describe('apps left out of lifespan', () => {
  it.each<[string, App, string | undefined]>([
    ['throws before reading', async () => { throw new Error('http only'); }, "mount '/x': it does not handle lifespan (it failed before receiving lifespan.startup: http only); serving it without lifespan"],
    ['sends an HTTP start at once', async (_s, _r, send) => { await send({ type: 'http.response.start', status: 200 }); }, "mount '/x': it does not handle lifespan (it sent http.response.start on the lifespan scope: InvalidEvent: http.response.start: unknown event type for a 'lifespan' scope); serving it without lifespan"],
    ['reads startup as its body, then sends HTTP', async (_s, receive, send) => { await receive(); await send({ type: 'http.response.start', status: 200 }); }, "mount '/x': it does not handle lifespan (it sent http.response.start on the lifespan scope: InvalidEvent: http.response.start: unknown event type for a 'lifespan' scope); serving it without lifespan"],
    ['reads startup, then returns', async (_s, receive) => { await receive(); }, "mount '/x': returned without answering lifespan.startup; serving it without lifespan"],
    ['returns at once (polite)', async () => {}, undefined],
    ['throws UnsupportedScope (polite)', async (scope) => { throw new UnsupportedScope(scope.type, 'x'); }, undefined],
    ['hangs on a second read after a failed send', async (_s, receive, send) => { send({ type: 'http.response.start', status: 200 }); await receive(); await receive(); }, "mount '/x': it does not handle lifespan (it sent http.response.start on the lifespan scope: InvalidEvent: http.response.start: unknown event type for a 'lifespan' scope); serving it without lifespan"],
  ])('%s', async (_name, app, warning) => {
    const { warnings, onWarning } = collect();
    const handle = await new TestClient(mount({ '/x': app, '/ok': lifespanOk }, { onWarning })).lifespan();
    expect(handle.state).toEqual({ ok: true });
    await handle.stop();
    expect(warnings).toEqual(warning === undefined ? [] : [warning]);
  });

  it('a nested composite whose apps all declined is left out without a second warning', async () => {
    const { warnings, onWarning } = collect();
    const inner = mount({ '/a': async () => { throw new Error('no'); } }, { onWarning });
    const handle = await new TestClient(mount({ '/inner': inner, '/ok': lifespanOk }, { onWarning })).lifespan();
    await handle.stop();
    expect(warnings).toEqual(["mount '/a': it does not handle lifespan (it failed before receiving lifespan.startup: no); serving it without lifespan"]);
  });

  it('cascade names its apps by position', async () => {
    const { warnings, onWarning } = collect();
    const handle = await new TestClient(cascade([async () => { throw new TypeError('nope'); }, lifespanOk], { onWarning })).lifespan();
    await handle.stop();
    expect(warnings).toEqual(['cascade app #0: it does not handle lifespan (it failed before receiving lifespan.startup: TypeError: nope); serving it without lifespan']);
  });
});

describe('apps whose startup failed', () => {
  it.each<[string, App, string]>([
    ['throws after receiving startup', async (_s, receive) => { await receive(); throw new Error('connect ECONNREFUSED'); }, "mount '/db': failed during lifespan startup: connect ECONNREFUSED"],
    ['sends a malformed lifespan answer', async (_s, receive, send) => { await receive(); await send({ type: 'lifespan.startup.failed', message: 42 } as never); }, "mount '/db': failed during lifespan startup: InvalidEvent: lifespan.startup.failed: message must be a string, got number"],
    ['answers lifespan.startup.failed', async (_s, receive, send) => { await receive(); await send({ type: 'lifespan.startup.failed', message: 'no database' }); }, "mount '/db': no database"],
  ])('%s: the combined startup fails with the cause', async (_name, app, message) => {
    const { warnings, onWarning } = collect();
    const error = await new TestClient(mount({ '/db': app, '/ok': lifespanOk }, { onWarning })).lifespan().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LifespanStartupFailed);
    expect((error as Error).message).toBe(message);
    expect(warnings).toEqual([]);
  });
});

describe('unawaited lifespan sends of a running app', () => {
  it('go to onWarning, never to an unhandled rejection', async () => {
    const { warnings, onWarning } = collect();
    const sloppy: App = async (_s, receive, send) => {
      await receive();
      await send({ type: 'lifespan.startup.complete' });
      send({ type: 'lifespan.startup.complete' }); // twice, unawaited
      await receive();
      await send({ type: 'lifespan.shutdown.complete' });
    };
    const handle = await new TestClient(mount({ '/s': sloppy }, { onWarning })).lifespan();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await handle.stop();
    expect(warnings).toEqual(["send(lifespan.startup.complete) failed and nothing awaited it (lifespan, mount '/s'; missing await?)"]);
  });
});
