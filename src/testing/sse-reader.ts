/**
 * An incremental parser of the `text/event-stream` format, following the
 * WHATWG EventSource processing model: lines end in CRLF, CR or LF; a leading
 * BOM is dropped; `field: value` loses one space after the colon; a blank line
 * dispatches; `data` lines join with `\n`; `id` persists across events.
 * Used by the test client and by tests reading real servers.
 */

export interface SSEEvent {
  /** The `event:` field, `'message'` when absent (as EventSource reports it). */
  event: string;
  data: string;
  /** The `id:` field of this event, if it had one. */
  id: string | undefined;
  /** The last id seen so far (EventSource's `lastEventId`). */
  lastEventId: string;
  /** The `retry:` field of this event, if it had a valid one. */
  retry: number | undefined;
}

export class SSEParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private started = false;
  private lastEventId = '';
  private data: string[] | undefined;
  private eventType = '';
  private id: string | undefined;
  private retry: number | undefined;
  /** Comment lines seen (without the leading `:`), in order. */
  readonly comments: string[] = [];

  /** Feeds bytes (or text); returns the events completed by them. */
  push(chunk: Uint8Array | string): SSEEvent[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (!this.started && this.buffer.length > 0) {
      this.started = true;
      if (this.buffer.charCodeAt(0) === 0xfeff) this.buffer = this.buffer.slice(1);
    }
    const events: SSEEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      // A trailing CR may be the first half of a CRLF: wait for the next byte.
      if (!match || (match[0] === '\r' && match.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): SSEEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1));
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        (this.data ??= []).push(value);
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.id = value;
          this.lastEventId = value;
        }
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.retry = Number(value);
        break;
    }
    return undefined;
  }

  private dispatch(): SSEEvent | undefined {
    const data = this.data;
    const event: SSEEvent = {
      event: this.eventType || 'message',
      data: data ? data.join('\n') : '',
      id: this.id,
      lastEventId: this.lastEventId,
      retry: this.retry,
    };
    this.data = undefined;
    this.eventType = '';
    this.id = undefined;
    this.retry = undefined;
    // A block without data lines dispatches nothing (EventSource rule).
    return data ? event : undefined;
  }
}

/** Reads parsed events from a stream of body chunks (`fetch` body, test response). */
export async function* readSSE(chunks: AsyncIterable<Uint8Array>, parser = new SSEParser()): AsyncGenerator<SSEEvent> {
  for await (const chunk of chunks) {
    for (const event of parser.push(chunk)) yield event;
  }
}
