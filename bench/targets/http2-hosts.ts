// HTTP/2 (h2c, prior knowledge) targets: raw `node:http2` servers as baselines, and PAGI's
// `serve({ http2: true })`. The raw servers never time sessions out, as PAGI's keep-alive of 60 s
// does not within a round.
import http2, { type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Stream } from 'node:http2';
import type { App } from '../../src/protocol/types.js';
import { freePort, HOST, listenHosted } from './hosts.js';
import type { Hosted } from './hosts.js';

const HELLO = 'Hello, World!';

function hostHttp2(server: http2.Http2Server): Promise<Hosted> {
  return listenHosted(server);
}

/** node:http2's core API: one `respond` and `end` per stream, the least work an h2 server can do. */
export function hostRawHttp2Hello(): Promise<Hosted> {
  const server = http2.createServer();
  server.on('stream', (stream: ServerHttp2Stream) => {
    stream.respond({ ':status': 200, 'content-type': 'text/plain', 'content-length': '13' });
    stream.end(HELLO);
  });
  return hostHttp2(server);
}

/** node:http2's compatibility API (req/res), the API PAGI's adapter and Express run on. */
export function hostHttp2Compat(listener: (req: Http2ServerRequest, res: Http2ServerResponse) => void): Promise<Hosted> {
  return hostHttp2(http2.createServer(listener));
}

export function compatHelloListener(_req: Http2ServerRequest, res: Http2ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '13' });
  res.end(HELLO);
}

/** `serve(app, { http2: true })`: h2c on the port HTTP/1.1 is also served on. */
export async function hostPagiServeHttp2(app: App): Promise<Hosted> {
  const { serve } = await import('../../src/server/index.js');
  const port = await freePort();
  const handle = await serve(app, { host: HOST, port, timeoutKeepAlive: 60, http2: true });
  return { port, close: () => Promise.resolve(handle.close()).then(() => undefined) };
}
