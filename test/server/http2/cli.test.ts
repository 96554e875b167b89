/** `pagi-server --http2` (real process): h2c with prior knowledge and the stream limit flag. */
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, killChildren, runCli } from '../helpers.js';
import { closeH2, connectH2, h2request } from './h2-client.js';

afterEach(() => killChildren());

describe('pagi-server --http2', () => {
  it('serves h2c and advertises --http2-max-concurrent-streams', async () => {
    const child = runCli(['--port', '0', '--http2', '--http2-max-concurrent-streams', '7', `${FIXTURES}hello.mjs`]);
    const [, url] = await child.waitOutput(/listening on (http:\/\/\S+)/);
    const session = await connectH2(url as string);
    try {
      expect(session.remoteSettings.maxConcurrentStreams).toBe(7);
      const res = await h2request(session, { ':path': '/' });
      expect(res.status).toBe(200);
    } finally {
      await closeH2(session);
      child.proc.kill('SIGTERM');
      await child.exited();
    }
  });
});
