/**
 * One side of a shadowed exchange, as `shadow` sees it: the validated send
 * events of the primary or the candidate, reduced to what the comparison
 * needs while they stream past. Nothing here grows with the body: bytes go
 * into a running SHA-256, the first `EXCERPT_BYTES` are kept for the report,
 * and a JSON body is kept only up to `jsonLimit` (beyond it the comparison
 * falls back to the digest).
 */
import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { HeaderPair } from '../protocol/types.js';
import type { NormalizedSendEvent } from '../protocol/validate.js';

/** Body bytes kept for `ShadowDifference` excerpts. */
export const EXCERPT_BYTES = 1024;
const FILE_CHUNK = 64 * 1024;
// `application/json`, `application/problem+json`, `application/vnd.api+json`, …
const JSON_TYPE = /^\s*application\/(?:[\w.!#$%&'*^`|~-]+\+)?json\s*(?:;|$)/i;

type FileBody = Extract<NormalizedSendEvent, { type: 'http.response.body'; kind: 'file' | 'fh' }>;

export class ObservedResponse {
  status = 0;
  headers: HeaderPair[] = [];
  trailers: HeaderPair[] = [];
  bodyBytes = 0;
  /** The terminal event was seen. */
  complete = false;
  /** Milliseconds from the start of the exchange to the terminal event. */
  durationMs = 0;
  /** The primary's `content-type` says JSON and the body is kept for a structural comparison. */
  json = false;
  private readonly hash: Hash = createHash('sha256');
  private hexDigest: string | undefined;
  private readonly excerptParts: Buffer[] = [];
  private excerptBytes = 0;
  private jsonParts: Buffer[] | undefined;
  private jsonBytes = 0;
  /** The start promised trailers: they, not the last body, end the response. */
  private trailersDue = false;

  constructor(
    private readonly startedAt: number,
    private readonly jsonLimit: number,
    /** False for HEAD: no body travels, so none is hashed. */
    private readonly withBody: boolean,
  ) {}

  /**
   * Records one validated event. `file`/`fh` bodies are read (not for HEAD),
   * and only then is a promise returned.
   */
  record(event: NormalizedSendEvent): Promise<void> | undefined {
    switch (event.type) {
      case 'http.response.start':
        this.status = event.status;
        this.headers = event.headers;
        this.trailersDue = event.trailers;
        this.json = this.withBody && JSON_TYPE.test(headerValue(event.headers, 'content-type') ?? '');
        if (this.json) this.jsonParts = [];
        return;
      case 'http.response.body':
        if (event.kind === 'inline') {
          if (this.withBody) this.bytes(event.body);
          if (!event.more && !this.trailersDue) this.finish();
          return;
        }
        return (this.withBody ? this.file(event) : Promise.resolve()).then(() => {
          if (!this.trailersDue) this.finish();
        });
      case 'http.response.trailers':
        this.trailers = event.headers;
        this.finish();
        return;
      default:
        return;
    }
  }

  get digest(): string {
    this.hexDigest ??= this.hash.digest('hex');
    return this.hexDigest;
  }

  /** The first bytes of the body as text (UTF-8, invalid bytes replaced). */
  excerpt(): string {
    return Buffer.concat(this.excerptParts, this.excerptBytes).toString('utf8');
  }

  /** The whole body as text when it was kept (JSON within `jsonLimit`), else undefined. */
  jsonText(): string | undefined {
    return this.jsonParts === undefined ? undefined : Buffer.concat(this.jsonParts, this.jsonBytes).toString('utf8');
  }

  private finish(): void {
    this.complete = true;
    this.durationMs = performance.now() - this.startedAt;
  }

  private bytes(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.bodyBytes += chunk.length;
    this.hash.update(chunk);
    // Copies: the sender may reuse its buffer once the send settled (§2.3).
    if (this.excerptBytes < EXCERPT_BYTES) {
      const part = Buffer.from(chunk.subarray(0, EXCERPT_BYTES - this.excerptBytes));
      this.excerptParts.push(part);
      this.excerptBytes += part.length;
    }
    if (this.jsonParts !== undefined) {
      if (this.jsonBytes + chunk.length > this.jsonLimit) {
        this.jsonParts = undefined;
      } else {
        this.jsonParts.push(Buffer.from(chunk));
        this.jsonBytes += chunk.length;
      }
    }
  }

  /** Bytes `[offset, offset + length)` of a `file`/`fh` body, read positionally (§4.3). */
  private async file(event: FileBody): Promise<void> {
    const handle: FileHandle = event.kind === 'file' ? await open(event.file, 'r') : event.fh;
    try {
      const size = (await handle.stat()).size;
      let position = Math.min(event.offset, size);
      const end = event.length === undefined ? size : Math.min(size, position + event.length);
      const buffer = Buffer.allocUnsafe(Math.min(FILE_CHUNK, Math.max(end - position, 1)));
      while (position < end) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, end - position), position);
        if (bytesRead === 0) break;
        position += bytesRead;
        this.bytes(buffer.subarray(0, bytesRead));
      }
    } finally {
      if (event.kind === 'file') await handle.close().catch(() => {});
    }
  }
}

function headerValue(headers: readonly HeaderPair[], name: string): string | undefined {
  for (const [n, v] of headers) if (n.toLowerCase() === name) return v;
  return undefined;
}
