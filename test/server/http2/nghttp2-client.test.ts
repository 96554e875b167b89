/** Debian's nghttp2-client against `serve({ http2: true })`: nghttp (h2c prior knowledge, TLS ALPN h2) and a short h2load run. */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/protocol/types.js';
import { localhostCert } from '../../helpers/tls.js';
import { startTestServer, type TestServer } from '../test-server.js';

const run = promisify(execFile);

function installed(binary: string): boolean {
  try {
    accessSync(`/usr/bin/${binary}`, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// CI installs nghttp2-client (.ci/run NEEDED); a machine without it skips, saying why.
const missing = ['nghttp', 'h2load'].filter((b) => !installed(b));
const describeIf = missing.length === 0 ? describe : describe.skip;
if (missing.length > 0) console.warn(`nghttp2-client tests skipped: ${missing.join(', ')} not installed (apt-get install nghttp2-client)`);

const hello: App = async (scope, _receive, send) => {
  if (scope.type !== 'http') return;
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain'], ['x-path', scope.path]] });
  await send({ type: 'http.response.body', body: 'Hello, h2!' });
};

describeIf('nghttp2-client against serve({ http2: true })', () => {
  let plain: TestServer;
  let secure: TestServer;
  beforeAll(async () => {
    plain = await startTestServer(hello, { http2: true });
    secure = await startTestServer(hello, { http2: true, tls: await localhostCert() });
  });
  afterAll(async () => {
    await plain.close();
    await secure.close();
  });

  it('nghttp -v, h2c with prior knowledge: 200 and the body', async () => {
    const { stdout } = await run('nghttp', ['-v', `http://127.0.0.1:${plain.port}/hi`], { timeout: 10_000 });
    expect(stdout).toMatch(/:status: 200/);
    expect(stdout).toMatch(/x-path: \/hi/);
    expect(stdout).toContain('Hello, h2!');
    expect(stdout).toMatch(/GOAWAY|END_STREAM/);
  });

  it("a whole body is HEADERS and one DATA frame with END_STREAM (serve()'s stream pair, not Node's compat pair)", async () => {
    const { stdout } = await run('nghttp', ['-v', `http://127.0.0.1:${plain.port}/frames`], { timeout: 10_000 });
    // Node's compat response always waits for trailers: DATA without END_STREAM, then an empty DATA that ends it.
    const frames = stdout.split('\n').filter((line) => /recv (DATA|HEADERS) frame/.test(line) && /stream_id=(?!0>)/.test(line));
    expect(frames).toHaveLength(2);
    expect(frames[0]).toMatch(/recv HEADERS frame/);
    expect(frames[1]).toMatch(/recv DATA frame <length=10, flags=0x01/);
  });

  it('nghttp -v over TLS: ALPN h2 with the test certificate', async () => {
    const { stdout } = await run('nghttp', ['-v', `https://127.0.0.1:${secure.port}/tls`], { timeout: 10_000 });
    expect(stdout).toMatch(/negotiated protocol: h2/i);
    expect(stdout).toMatch(/:status: 200/);
    expect(stdout).toContain('Hello, h2!');
  });

  it('h2load -n 200 -c 4 -m 10: every request succeeds', async () => {
    const { stdout } = await run('h2load', ['-n', '200', '-c', '4', '-m', '10', `http://127.0.0.1:${plain.port}/`], { timeout: 20_000 });
    expect(stdout).toMatch(/requests: 200 total, 200 started, 200 done, 200 succeeded, 0 failed, 0 errored/);
    expect(stdout).toMatch(/status codes: 200 2xx/);
  });
});
