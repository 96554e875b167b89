/**
 * Extended CONNECT (RFC 8441) on HTTP/2.
 */
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

/** Until WebSocket over HTTP/2 is served: 501 for an extended CONNECT. */
export function refuseWebSocketOverHttp2(_req: Http2ServerRequest, res: Http2ServerResponse): void {
  res.writeHead(501, { 'content-type': 'text/plain; charset=utf-8', 'content-length': '15' });
  res.end('Not Implemented');
}
