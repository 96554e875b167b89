/** HTTP/2 rapid-reset bound (GOAWAY ENHANCE_YOUR_CALM) and GOAWAY on graceful shutdown. */
import http2 from 'node:http2';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { App } from '../../../src/protocol/types.js';
import { within } from '../helpers.js';
import { startTestServer } from '../test-server.js';
import { closeH2, connectH2, h2request } from './h2-client.js';

const slow: App = async (_scope, _receive, send) => {
  await new Promise((r) => setTimeout(r, 300));
  await send({ type: 'http.response.start', status: 200 }).catch(() => {});
  await send({ type: 'http.response.body', body: 'late' }).catch(() => {});
};

describe('HTTP/2 defences', () => {
  it('streams opened and reset before their answer, past maxRapidResets: GOAWAY ENHANCE_YOUR_CALM', async () => {
    const server = await startTestServer(slow, { http2: { maxRapidResets: 10 } });
    const session = await connectH2(server.url);
    try {
      const goaway = within(once(session, 'goaway') as Promise<[number]>, 5000, 'goaway');
      for (let i = 0; i < 40 && !session.destroyed; i++) {
        const req = session.request({ ':path': `/r${i}` });
        req.on('error', () => {});
        req.close(http2.constants.NGHTTP2_CANCEL);
      }
      const [code] = await goaway;
      expect(code).toBe(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    } finally {
      session.destroy();
      await server.close();
    }
  });

  it('graceful shutdown sends GOAWAY (NO_ERROR) and lets the open stream finish', async () => {
    const server = await startTestServer(slow, { http2: true });
    const session = await connectH2(server.url);
    try {
      const goaway = within(once(session, 'goaway') as Promise<[number]>, 5000, 'goaway');
      const answer = h2request(session, { ':path': '/inflight' });
      await new Promise((r) => setTimeout(r, 50));
      const closed = server.close();
      const [code] = await goaway;
      expect(code).toBe(http2.constants.NGHTTP2_NO_ERROR);
      const res = await answer;
      expect([res.status, res.body]).toEqual([200, 'late']);
      await within(closed, 5000, 'server close');
    } finally {
      await closeH2(session);
    }
  });
});
