/** What `TestClient.request()` resolves with: a fetch-like view of one PAGI response. */
import type { ConnectionState, HeaderPair } from '../protocol/types.js';
import type { NormalizedSendEvent } from '../protocol/validate.js';
import type { BodyStream } from './body-stream.js';

/** Response header pairs with case-insensitive lookups. */
export class ResponseHeaders implements Iterable<HeaderPair> {
  constructor(readonly pairs: readonly HeaderPair[]) {}

  /** First value of `name`, or `undefined`. */
  get(name: string): string | undefined {
    const wanted = name.toLowerCase();
    return this.pairs.find(([n]) => n === wanted)?.[1];
  }

  /** Every value of `name`, in order (`set-cookie` stays one entry per cookie). */
  getAll(name: string): string[] {
    const wanted = name.toLowerCase();
    return this.pairs.filter(([n]) => n === wanted).map(([, v]) => v);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  [Symbol.iterator](): Iterator<HeaderPair> {
    return this.pairs[Symbol.iterator]();
  }
}

/** The exchange behind a response (implemented by the HTTP/SSE exchange). */
export interface ResponseSource {
  readonly body: BodyStream;
  readonly events: readonly NormalizedSendEvent[];
  readonly trailers: HeaderPair[] | undefined;
  readonly connection: ConnectionState;
  disconnect(reason: string): void;
  settled(): Promise<void>;
}

export class TestResponse implements AsyncIterable<Uint8Array> {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** The reason phrase the app set (`reason` on the start, `reason_phrase` extension); `undefined` means the standard one. */
  readonly reason: string | undefined;
  /**
   * The head as a server would write it, Node's flat `[name, value, …]` list:
   * names spelled by the start's `header_names` (`header_case` extension),
   * the others lower-case.
   */
  readonly rawHeaders: readonly string[];
  private readonly source: ResponseSource;

  constructor(status: number, headers: HeaderPair[], source: ResponseSource, reason?: string, names?: readonly string[]) {
    this.status = status;
    this.headers = new ResponseHeaders(headers);
    this.reason = reason;
    this.rawHeaders = headers.flatMap(([name, value], i) => [names?.[i] ?? name, value]);
    this.source = source;
  }

  /** `status` in 200–299. */
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** The whole body, once the app sent its terminal event. */
  bytes(): Promise<Uint8Array> {
    return this.source.body.all();
  }

  async text(): Promise<string> {
    return Buffer.from(await this.bytes()).toString('utf8');
  }

  async json<T = unknown>(): Promise<T> {
    return JSON.parse(await this.text()) as T;
  }

  /** Body chunks as the app sends them. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.source.body[Symbol.asyncIterator]();
  }

  /** Trailers (after the body completed), if the app sent `http.response.trailers`. */
  get trailers(): ResponseHeaders | undefined {
    const trailers = this.source.trailers;
    return trailers ? new ResponseHeaders(trailers) : undefined;
  }

  /** Every event the app sent, validated and normalised, in order. */
  get events(): readonly NormalizedSendEvent[] {
    return this.source.events;
  }

  /** The scope's `pagi.connection`, to check what the app was told. */
  get connection(): ConnectionState {
    return this.source.connection;
  }

  /** Simulates the client going away (default reason `client_closed`). */
  disconnect(reason = 'client_closed'): void {
    this.source.disconnect(reason);
  }

  /**
   * Resolves when the app's promise settles; rejects with the app's error
   * (a `Disconnected` after the client left counts as a normal end).
   */
  settled(): Promise<void> {
    return this.source.settled();
  }
}
