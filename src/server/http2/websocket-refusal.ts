/**
 * A WebSocket refusal on an HTTP/2 extended CONNECT stream (PROTOCOL.md
 * §5.3): the app's `http.response.*` events written as an ordinary HTTP/2
 * response on that stream (Node's compat response does the framing and the
 * trailers). Only the stream ends; the connection carries on.
 */
import { once } from 'node:events';
import http2, { type Http2ServerResponse, type OutgoingHttpHeaders } from 'node:http2';
import type { RefusalEvent, RefusalWriter } from '../../adapter/websocket/index.js';
import { pipeRefusalFile, type RefusalFileEvent } from '../../adapter/websocket/refusal-file.js';
import { buildHead } from '../../adapter/response-head.js';
import { http2ResponseCompleted } from '../../adapter/response-writer.js';

const { NGHTTP2_INTERNAL_ERROR } = http2.constants;

export class Http2Refusal implements RefusalWriter {
  constructor(private readonly res: Http2ServerResponse) {}

  /** The whole refusal reached the stream (see `http2ResponseCompleted`: 'finish' also follows a reset). */
  get completed(): boolean {
    return http2ResponseCompleted(this.res);
  }

  async write(event: RefusalEvent): Promise<void> {
    const res = this.res;
    switch (event.type) {
      case 'http.response.start':
        // Connection-specific fields are dropped: HTTP/2 forbids them (RFC 9113 §8.2.2).
        res.writeHead(event.status, headerObject(buildHead(event.headers, undefined, event.trailers, true).flat));
        return;
      case 'http.response.trailers':
        res.addTrailers(headerObject(event.headers.flat()));
        await this.end();
        return;
      case 'http.response.body':
        if (event.kind === 'inline') {
          if (event.body.length > 0 && !res.write(event.body)) await Promise.race([once(res, 'drain'), once(res.stream, 'close')]);
          if (!event.more) await this.end();
          return;
        }
        await this.streamFile(event);
    }
  }

  async plain(status: number, text: string, extraHeaders: ReadonlyArray<readonly [string, string]> = []): Promise<void> {
    const body = Buffer.from(text);
    try {
      this.res.writeHead(status, headerObject(['content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length), ...extraHeaders.flat()]));
      this.res.end(body);
      await this.finished();
    } catch {
      this.destroy();
    }
  }

  /** An unfinished refusal (§4.6): this stream is reset, as an incomplete HTTP/2 response is. */
  destroy(): void {
    const stream = this.res.stream;
    if (!stream.destroyed) stream.close(NGHTTP2_INTERNAL_ERROR);
  }

  private async end(): Promise<void> {
    this.res.end();
    await this.finished();
  }

  private async finished(): Promise<void> {
    if (!this.res.writableFinished && !this.res.stream.destroyed) {
      await Promise.race([once(this.res, 'finish'), once(this.res.stream, 'close')]);
    }
  }

  private async streamFile(event: RefusalFileEvent): Promise<void> {
    await pipeRefusalFile(event, this.res);
    await this.end();
  }
}

/** A flat `[name, value, ...]` list as an HTTP/2 headers object; repeated names become arrays (set-cookie). */
export function headerObject(flat: readonly string[], into: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string;
    const value = flat[i + 1] as string;
    const seen = into[name];
    if (seen === undefined) into[name] = value;
    else into[name] = [...(Array.isArray(seen) ? seen : [String(seen)]), value];
  }
  return into;
}
