/**
 * Plain HTTP answers on an upgrade socket: WebSocket refusals (§5.3), the 403
 * for a close before accept, and the server's own 500/503.
 *
 * Node hands an upgrade request over without a `ServerResponse`, so we attach
 * one to the raw socket ourselves: that gives us Node's own status line,
 * header and chunked framing instead of a hand-written serialiser. Every
 * answer here closes the connection (`connection: close`), as the spec asks.
 */
import { once } from 'node:events';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { pipeRefusalFile, type RefusalFileEvent } from './refusal-file.js';
import type { RefusalEvent, RefusalWriter } from './transport.js';

type HttpEvent = RefusalEvent;

/** Header names the server owns on an answer that always closes the connection. */
const SERVER_OWNED = new Set(['connection', 'transfer-encoding', 'keep-alive', 'upgrade']);

export class UpgradeResponse implements RefusalWriter {
  private readonly res: ServerResponse;
  private readonly socket: Duplex;

  constructor(req: IncomingMessage, socket: Duplex) {
    this.socket = socket;
    this.res = new ServerResponse(req);
    this.res.assignSocket(socket as Socket);
    this.res.shouldKeepAlive = false;
  }

  /** The whole refusal was handed to the socket (HTTP/1's 'finish' means just that). */
  get completed(): boolean {
    return this.res.writableFinished;
  }

  /** Writes one validated `http.response.*` event; resolves when Node can take more. */
  async write(event: HttpEvent): Promise<void> {
    const res = this.res;
    switch (event.type) {
      case 'http.response.start': {
        const flat: string[] = [];
        for (const [name, value] of event.headers) {
          if (!SERVER_OWNED.has(name)) flat.push(name, value);
        }
        flat.push('connection', 'close');
        res.writeHead(event.status, flat);
        return;
      }
      case 'http.response.trailers': {
        const trailers: Array<[string, string]> = event.headers.map(([n, v]) => [n, v]);
        res.addTrailers(trailers);
        await this.end();
        return;
      }
      case 'http.response.body':
        if (event.kind === 'inline') {
          if (event.body.length > 0 && !res.write(event.body)) await drained(res);
          if (!event.more) await this.end();
          return;
        }
        await this.streamFile(event);
        return;
    }
  }

  /** A complete short `text/plain` answer (400, 403, 500, 503). Never rejects: a failure drops the socket. */
  async plain(status: number, text: string, extraHeaders: ReadonlyArray<readonly [string, string]> = []): Promise<void> {
    const body = Buffer.from(text);
    try {
      this.res.writeHead(status, [
        'content-type',
        'text/plain; charset=utf-8',
        'content-length',
        String(body.length),
        'connection',
        'close',
        ...extraHeaders.flat(),
      ]);
      this.res.end(body);
      await this.finished();
    } catch {
      this.socket.destroy();
    }
  }

  /**
   * Ends an incomplete refusal (§4.6): what was written goes out, the
   * terminator never does, and the connection closes. Node corks the socket
   * on write until the next tick (Node 24 corks the response and holds the
   * chunk in it), so destroying at once would lose the head.
   */
  destroy(): void {
    const socket = this.socket as Socket;
    while (this.res.writableCorked > 0) this.res.uncork();
    socket.uncork();
    socket.destroySoon();
  }

  private async end(): Promise<void> {
    this.res.end();
    await this.finished();
  }

  private async finished(): Promise<void> {
    if (!this.res.writableFinished) {
      await Promise.race([once(this.res, 'finish'), once(this.socket, 'close')]);
    }
    this.res.detachSocket(this.socket as Socket);
    // Half-close after the last byte so the client reads the whole answer, then let go.
    (this.socket as Socket).destroySoon?.();
  }

  private async streamFile(event: RefusalFileEvent): Promise<void> {
    await pipeRefusalFile(event, this.res);
    await this.end();
  }
}

function drained(res: ServerResponse): Promise<unknown> {
  return Promise.race([once(res, 'drain'), once(res, 'close')]);
}
