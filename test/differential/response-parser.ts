/**
 * Incremental HTTP/1.x response parser for the differential client: status
 * line, headers in wire order, 1xx interim responses, and bodies framed by
 * content-length, chunked coding (de-chunked here, trailers kept) or the
 * connection closing. It never normalises anything it reads.
 */
export type HeaderList = Array<[name: string, value: string]>;

export type Framing = 'chunked' | 'content-length' | 'close-delimited' | 'none';

export interface InterimResponse {
  status: number;
  headers: HeaderList;
}

export interface ParsedResponse {
  httpVersion: string;
  status: number;
  statusText: string;
  /** Header pairs in wire order, names as sent. */
  headers: HeaderList;
  framing: Framing;
  body: Buffer;
  trailers: HeaderList;
  complete: boolean;
  interim: InterimResponse[];
}

const CRLF_CRLF = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

function parseHeaderLines(lines: string[]): HeaderList {
  const headers: HeaderList = [];
  for (const line of lines) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`malformed header line ${JSON.stringify(line)}`);
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return headers;
}

function headerValues(headers: HeaderList, name: string): string[] {
  return headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

/**
 * Incremental parser for a sequence of responses on one connection.
 * `feed` consumes what it can and keeps the rest for the next read.
 */
export class ResponseParser {
  readonly responses: ParsedResponse[] = [];
  private buffer = Buffer.alloc(0);
  private current: ParsedResponse | undefined;
  private bodyChunks: Buffer[] = [];
  private remaining = 0;
  private chunkState: 'size' | 'data' | 'data-crlf' | 'trailers' = 'size';
  private pendingInterim: InterimResponse[] = [];

  constructor(private readonly methods: string[]) {}

  /** Decoded body bytes of the first response so far. */
  firstBodyLength(): number {
    const first = this.responses[0];
    if (first === undefined) return 0;
    if (first === this.current) return this.bodyChunks.reduce((n, c) => n + c.length, 0);
    return first.body.length;
  }

  headSeen(): boolean {
    return this.responses.length > 0;
  }

  completed(): number {
    return this.responses.filter((r) => r.complete).length;
  }

  interimCount(): number {
    return this.pendingInterim.length + this.responses.reduce((n, r) => n + r.interim.length, 0);
  }

  feed(data: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      if (this.current === undefined) {
        if (!this.parseHead()) return;
      } else if (!this.parseBody()) {
        return;
      }
    }
  }

  /** The connection ended: a close-delimited body is complete now, anything else is truncated. */
  finish(): void {
    const current = this.current;
    if (current === undefined) return;
    current.body = Buffer.concat(this.bodyChunks);
    if (current.framing === 'close-delimited') current.complete = true;
    this.current = undefined;
  }

  private parseHead(): boolean {
    const end = this.buffer.indexOf(CRLF_CRLF);
    if (end < 0) return false;
    const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    this.buffer = this.buffer.subarray(end + 4);
    const statusLine = lines.shift() ?? '';
    const match = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(statusLine);
    if (match === null) throw new Error(`malformed status line ${JSON.stringify(statusLine)}`);
    const status = Number(match[2]);
    const headers = parseHeaderLines(lines);
    if (status >= 100 && status < 200 && status !== 101) {
      this.pendingInterim.push({ status, headers });
      return true;
    }
    const method = this.methods[this.responses.length] ?? this.methods[this.methods.length - 1] ?? 'GET';
    const response: ParsedResponse = {
      httpVersion: match[1] ?? '',
      status,
      statusText: match[3] ?? '',
      headers,
      framing: 'none',
      body: Buffer.alloc(0),
      trailers: [],
      complete: false,
      interim: this.pendingInterim,
    };
    this.pendingInterim = [];
    this.responses.push(response);
    this.bodyChunks = [];
    const te = headerValues(headers, 'transfer-encoding').join(',').toLowerCase();
    const cl = headerValues(headers, 'content-length')[0];
    const bodiless = method === 'HEAD' || status === 204 || status === 304;
    if (te.includes('chunked')) {
      response.framing = 'chunked';
    } else if (cl !== undefined) {
      response.framing = 'content-length';
      this.remaining = Number(cl);
    } else if (!bodiless) {
      response.framing = 'close-delimited';
    }
    if (bodiless || (response.framing === 'content-length' && this.remaining === 0)) {
      response.complete = true;
      return true;
    }
    this.current = response;
    this.chunkState = 'size';
    return true;
  }

  private completeCurrent(): void {
    const current = this.current;
    if (current === undefined) return;
    current.body = Buffer.concat(this.bodyChunks);
    current.complete = true;
    this.current = undefined;
  }

  /** Returns true when it made progress and may be called again. */
  private parseBody(): boolean {
    const current = this.current;
    if (current === undefined) return false;
    if (current.framing === 'close-delimited') {
      if (this.buffer.length === 0) return false;
      this.bodyChunks.push(this.buffer);
      this.buffer = Buffer.alloc(0);
      return false;
    }
    if (current.framing === 'content-length') {
      if (this.buffer.length === 0) return false;
      const take = Math.min(this.remaining, this.buffer.length);
      this.bodyChunks.push(this.buffer.subarray(0, take));
      this.buffer = this.buffer.subarray(take);
      this.remaining -= take;
      if (this.remaining === 0) this.completeCurrent();
      return this.buffer.length > 0 || this.current === undefined;
    }
    return this.parseChunked(current);
  }

  private parseChunked(current: ParsedResponse): boolean {
    switch (this.chunkState) {
      case 'size': {
        const eol = this.buffer.indexOf(CRLF);
        if (eol < 0) return false;
        const sizeText = this.buffer.subarray(0, eol).toString('latin1').split(';')[0]?.trim() ?? '';
        if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new Error(`malformed chunk size ${JSON.stringify(sizeText)}`);
        this.buffer = this.buffer.subarray(eol + 2);
        this.remaining = parseInt(sizeText, 16);
        this.chunkState = this.remaining === 0 ? 'trailers' : 'data';
        return true;
      }
      case 'data': {
        if (this.buffer.length === 0) return false;
        const take = Math.min(this.remaining, this.buffer.length);
        this.bodyChunks.push(this.buffer.subarray(0, take));
        this.buffer = this.buffer.subarray(take);
        this.remaining -= take;
        if (this.remaining === 0) this.chunkState = 'data-crlf';
        return true;
      }
      case 'data-crlf': {
        if (this.buffer.length < 2) return false;
        if (!this.buffer.subarray(0, 2).equals(CRLF)) throw new Error('chunk not followed by CRLF');
        this.buffer = this.buffer.subarray(2);
        this.chunkState = 'size';
        return true;
      }
      case 'trailers': {
        // Trailer section: header lines up to an empty line.
        if (this.buffer.subarray(0, 2).equals(CRLF)) {
          this.buffer = this.buffer.subarray(2);
          this.completeCurrent();
          return true;
        }
        const end = this.buffer.indexOf(CRLF_CRLF);
        if (end < 0) return false;
        current.trailers = parseHeaderLines(this.buffer.subarray(0, end).toString('latin1').split('\r\n'));
        this.buffer = this.buffer.subarray(end + 4);
        this.completeCurrent();
        return true;
      }
    }
  }
}

