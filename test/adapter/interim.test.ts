// The `interim` extension on toNodeListener: http.response.interim → Node's public 1xx API, on a real socket.
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidEvent } from '../../src/protocol/errors.js';
import type { AdapterOptions } from '../../src/adapter/index.js';
import type { App } from '../../src/protocol/types.js';
import { TestClient } from '../../src/testing/index.js';
import { servePagi, type PagiServer } from '../helpers/server.js';
import { rawExchange } from '../helpers/raw-socket.js';
import { startTestServer } from '../server/test-server.js';

let current: PagiServer | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function serve(app: App, options?: AdapterOptions): Promise<PagiServer> {
  current = await servePagi(app, options);
  return current;
}

const GET = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
const link = '</a.css>; rel=preload; as=style';

/** Sends the given interim events, then `ok`; records what each send did. */
function interimApp(events: object[], outcomes: string[]): App {
  return async (scope, _receive, send) => {
    if (scope.type === 'lifespan') throw new Error('no lifespan here');
    outcomes.push(`advertised=${scope.type === 'http' && scope.extensions.interim !== undefined}`);
    for (const event of events) {
      try {
        await send(event as never);
        outcomes.push('sent');
      } catch (error) {
        outcomes.push(`${(error as Error).name}: ${(error as Error).message}`);
      }
    }
    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
    await send({ type: 'http.response.body', body: 'ok' });
  };
}

describe('interim extension on toNodeListener', () => {
  it('writes 100, 102 and 103 (with link first) before the final response', async () => {
    const outcomes: string[] = [];
    const { port } = await serve(interimApp([
      { type: 'http.response.interim', status: 100 },
      { type: 'http.response.interim', status: 102 },
      { type: 'http.response.interim', status: 103, headers: [['x-hint', '1'], ['link', link], ['link', '</b.js>; rel=preload; as=script']] },
    ], outcomes));
    const wire = await rawExchange(port, GET);
    expect(wire).toMatch(
      /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 102 Processing\r\n\r\nHTTP\/1\.1 103 Early Hints\r\nLink: <\/a\.css>; rel=preload; as=style, <\/b\.js>; rel=preload; as=script\r\nx-hint: 1\r\n\r\nHTTP\/1\.1 200 OK\r\n/,
    );
    expect(wire.endsWith('ok')).toBe(true);
    expect(outcomes).toEqual(['advertised=true', 'sent', 'sent', 'sent']);
  });

  it('is not advertised to an HTTP/1.0 client, nor when disabled: the event is InvalidEvent naming it', async () => {
    const outcomes: string[] = [];
    const { port } = await serve(interimApp([{ type: 'http.response.interim', status: 103, headers: [['link', link]] }], outcomes));
    const wire = await rawExchange(port, 'GET / HTTP/1.0\r\nHost: x\r\n\r\n');
    expect(wire.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(outcomes[0]).toBe('advertised=false');
    expect(outcomes[1]).toMatch(/^InvalidEvent: http\.response\.interim.*interim extension is not advertised/);
    await current?.close();

    const disabled: string[] = [];
    const second = await serve(interimApp([{ type: 'http.response.interim', status: 100 }], disabled), { extensions: { interim: false } });
    expect((await rawExchange(second.port, GET)).startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(disabled[0]).toBe('advertised=false');
  });

  it('a 103 without link writes nothing (as Node), a bad link value rejects the send; the response still goes out', async () => {
    const outcomes: string[] = [];
    const { port } = await serve(interimApp([
      { type: 'http.response.interim', status: 103, headers: [['x-only', 'y']] },
      { type: 'http.response.interim', status: 103, headers: [['link', 'not a link']] },
      { type: 'http.response.interim', status: 104 },
    ], outcomes));
    const wire = await rawExchange(port, GET);
    expect(wire.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(outcomes[1]).toBe('sent');
    expect(outcomes[2]).toMatch(/^InvalidEvent: http\.response\.interim: headers/);
    expect(outcomes[3]).toBe('sent');
  });
});

describe('interim extension on serve()', () => {
  it('advertises it on HTTP/1.1 and writes the 103 before the final response', async () => {
    const outcomes: string[] = [];
    const server = await startTestServer(interimApp([{ type: 'http.response.interim', status: 103, headers: [['link', link]] }], outcomes));
    try {
      const wire = await rawExchange(server.port, GET);
      expect(wire).toMatch(/^HTTP\/1\.1 103 Early Hints\r\nLink: <\/a\.css>; rel=preload; as=style\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
      expect(outcomes).toEqual(['advertised=true', 'sent']);
    } finally {
      await server.close();
    }
  });
});

describe('interim extension on TestClient', () => {
  it('is advertised by default and recorded in response.events', async () => {
    const client = new TestClient(interimApp([{ type: 'http.response.interim', status: 103, headers: [['link', link]] }], []));
    const response = await client.get('/');
    expect(response.status).toBe(200);
    expect(response.events[0]).toEqual({ type: 'http.response.interim', status: 103, headers: [['link', link]] });
  });

  it('without the key the event is rejected', async () => {
    const outcomes: string[] = [];
    const client = new TestClient(interimApp([{ type: 'http.response.interim', status: 100 }], outcomes), { extensions: {} });
    // TestClient surfaces a refused send even when the app caught it.
    await expect(client.get('/')).rejects.toThrow(InvalidEvent);
    expect(outcomes[1]).toMatch(/^InvalidEvent: http\.response\.interim/);
  });
});
