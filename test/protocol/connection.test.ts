import { describe, expect, it } from 'vitest';
import { createConnection } from '../../src/protocol/connection.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('pagi.connection (§7)', () => {
  it('starts connected, not started, not complete', () => {
    const c = createConnection().state;
    expect(c.is_connected()).toBe(true);
    expect(c.response_started()).toBe(false);
    expect(c.response_complete()).toBe(false);
    expect(c.disconnect_reason()).toBeUndefined();
    expect(c.close_code()).toBeUndefined();
  });

  it('a clean end fires on_complete and on_end(undefined), never on_disconnect', async () => {
    const ctl = createConnection();
    const seen: string[] = [];
    ctl.state.on_complete(() => seen.push('complete'));
    ctl.state.on_disconnect(() => seen.push('disconnect'));
    ctl.state.on_end((r) => seen.push(`end:${String(r)}`));
    const end = ctl.state.end_future();
    let disconnected = false;
    void ctl.state.disconnect_future().then(() => (disconnected = true));
    ctl.markStarted();
    expect(ctl.complete()).toBe(true);
    // Facts are synchronous, callbacks are deferred.
    expect(ctl.state.is_connected()).toBe(false);
    expect(ctl.state.response_complete()).toBe(true);
    expect(seen).toEqual([]);
    await tick();
    expect(seen).toEqual(['complete', 'end:undefined']);
    expect(await end).toBeUndefined();
    expect(disconnected).toBe(false);
  });

  it('an abnormal end fires on_disconnect and on_end with reason and detail', async () => {
    const ctl = createConnection();
    const seen: unknown[] = [];
    ctl.state.on_disconnect((r, d) => seen.push(['disconnect', r, d]));
    ctl.state.on_complete(() => seen.push('complete'));
    ctl.state.on_end((r, d) => seen.push(['end', r, d]));
    expect(ctl.disconnect('client_closed', 'ECONNRESET')).toBe(true);
    expect(ctl.state.disconnect_reason()).toBe('client_closed');
    expect(ctl.state.disconnect_detail()).toBe('ECONNRESET');
    expect(ctl.state.response_complete()).toBe(false);
    await tick();
    expect(seen).toEqual([
      ['disconnect', 'client_closed', 'ECONNRESET'],
      ['end', 'client_closed', 'ECONNRESET'],
    ]);
    expect(await ctl.state.disconnect_future()).toBe('client_closed');
    expect(await ctl.state.end_future()).toBe('client_closed');
  });

  it('the first outcome wins', () => {
    const ctl = createConnection();
    ctl.complete();
    expect(ctl.disconnect('client_closed')).toBe(false);
    expect(ctl.state.disconnect_reason()).toBeUndefined();
    const other = createConnection();
    other.disconnect('write_error');
    expect(other.complete()).toBe(false);
    expect(other.state.response_complete()).toBe(false);
  });

  it('callbacks registered after the end run (deferred) only when they match', async () => {
    const ctl = createConnection();
    ctl.disconnect('server_shutdown');
    const seen: string[] = [];
    ctl.state.on_complete(() => seen.push('complete'));
    ctl.state.on_disconnect((r) => seen.push(r));
    ctl.state.on_end((r) => seen.push(`end:${String(r)}`));
    expect(seen).toEqual([]);
    await tick();
    expect(seen).toEqual(['server_shutdown', 'end:server_shutdown']);
  });

  it('a throwing callback does not stop the others', async () => {
    const ctl = createConnection();
    const seen: number[] = [];
    const original = console.error;
    console.error = () => {};
    try {
      ctl.state.on_end(() => {
        throw new Error('boom');
      });
      ctl.state.on_end(() => seen.push(2));
      ctl.complete();
      await tick();
    } finally {
      console.error = original;
    }
    expect(seen).toEqual([2]);
  });

  it('abort() ends the scope with app_abort, calls the transport once, then is a no-op', async () => {
    const ctl = createConnection();
    const aborted: Array<string | undefined> = [];
    ctl.setAbortHandler((d) => aborted.push(d));
    ctl.state.abort('gave up');
    ctl.state.abort('again');
    expect(aborted).toEqual(['gave up']);
    expect(ctl.state.disconnect_reason()).toBe('app_abort');
    expect(ctl.state.disconnect_detail()).toBe('gave up');
    expect(await ctl.state.end_future()).toBe('app_abort');
  });

  it('websocket scopes report the peer close, or 1006 when there was none', () => {
    const peer = createConnection({ websocket: true });
    peer.setPeerClose(4001, 'bye');
    peer.complete();
    expect(peer.state.close_code()).toBe(4001);
    expect(peer.state.close_reason()).toBe('bye');
    const dropped = createConnection({ websocket: true });
    expect(dropped.state.close_code()).toBeUndefined();
    dropped.disconnect('client_closed');
    expect(dropped.state.close_code()).toBe(1006);
    expect(dropped.state.close_reason()).toBeUndefined();
    const http = createConnection();
    http.disconnect('client_closed');
    expect(http.state.close_code()).toBeUndefined();
  });

  it('methods work when detached from the object', () => {
    const { is_connected } = createConnection().state;
    expect(is_connected()).toBe(true);
  });
});
