/**
 * A small SSE client over `http.get` for tests that must choose where to
 * reconnect (another process) and what `Last-Event-ID` to send. Parses the
 * stream per the HTML spec's field rules; every wait has a deadline.
 */
import http from 'node:http';

export interface SSEEvent {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: string;
}

export interface SSEStream {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly events: SSEEvent[];
  /** The id of the last event that had one (what a browser would send as Last-Event-ID). */
  readonly lastEventId: string | undefined;
  /** Resolves once `count` events (in total) have arrived. */
  waitForCount(count: number, ms?: number): Promise<SSEEvent[]>;
  /** Resolves when the server ended the stream (or the connection broke). */
  readonly ended: Promise<void>;
  close(): void;
}

export function openSSE(url: string, options: { lastEventId?: string; ms?: number } = {}): Promise<SSEStream> {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      request.destroy();
      reject(new Error(`no SSE response from ${url} within ${options.ms ?? 5000} ms`));
    }, options.ms ?? 5000);
    const request = http.get(url, { agent: false, headers }, (res) => {
      clearTimeout(timer);
      const events: SSEEvent[] = [];
      let lastEventId: string | undefined;
      let buffer = '';
      let block: { event: string; id: string | undefined; data: string[] } = { event: 'message', id: undefined, data: [] };
      const wakers = new Set<() => void>();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.search(/\r\n|\r|\n/)) !== -1) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
          if (line === '') {
            if (block.id !== undefined) lastEventId = block.id;
            if (block.data.length > 0) events.push({ event: block.event, id: lastEventId, data: block.data.join('\n') });
            block = { event: 'message', id: undefined, data: [] };
            for (const wake of wakers) wake();
            continue;
          }
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon === -1 ? line : line.slice(0, colon);
          const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') block.data.push(value);
          else if (field === 'event') block.event = value;
          else if (field === 'id') block.id = value;
        }
      });
      const ended = new Promise<void>((done) => {
        res.on('end', () => done());
        res.on('close', () => done());
        res.on('error', () => done());
      });
      void ended.then(() => {
        for (const wake of wakers) wake();
      });
      let finished = false;
      void ended.then(() => (finished = true));
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        get lastEventId() {
          return lastEventId;
        },
        ended,
        close: () => request.destroy(),
        waitForCount(count, ms = 5000) {
          return new Promise((done, fail) => {
            const check = () => {
              if (events.length >= count) {
                finish();
                done(events.slice(0, count));
              } else if (finished) {
                finish();
                fail(new Error(`stream ended after ${events.length} of ${count} events: ${JSON.stringify(events)}`));
              }
            };
            const deadline = setTimeout(() => {
              finish();
              fail(new Error(`${events.length} of ${count} events within ${ms} ms: ${JSON.stringify(events.slice(-3))}`));
            }, ms);
            const finish = () => {
              clearTimeout(deadline);
              wakers.delete(check);
            };
            wakers.add(check);
            check();
          });
        },
      });
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
