/**
 * The request body of a shadowed exchange, read once and seen twice.
 *
 * The primary reads the client's body through `primaryReceive`, exactly as
 * without `shadow` (same events, same timing: nothing is read ahead, so
 * `Expect: 100-continue` and backpressure stay the primary's). Each body
 * event it reads is copied for the candidate, up to `limit` bytes; crossing
 * the limit drops the copy and reports an overflow (the exchange is then
 * skipped), so memory never holds more than `limit` bytes of body.
 *
 * The candidate reads the copies through `candidateReceive`. Past the end of
 * the body its reads stay pending until `end()` (its response is complete or
 * it was cancelled), then yield `http.disconnect` forever (PROTOCOL.md §4.2).
 * A candidate that wants body the primary will never read (the primary
 * finished without reading it) is reported through `onStarved`: there is no
 * copy to give, and the exchange cannot be compared.
 */
import type { HTTPReceiveEvent, Receive, ReceiveEvent } from '../protocol/types.js';

const DISCONNECT: HTTPReceiveEvent = { type: 'http.disconnect' };

export class RequestTee {
  private readonly copies: HTTPReceiveEvent[] = [];
  private cursor = 0;
  private bytes = 0;
  /** The candidate has every body event (`more: false` copied). */
  bodyComplete = false;
  private ended = false;
  /** The primary settled: nothing more will be read from the client. */
  private primaryDone = false;
  private wake: (() => void) | undefined;

  /**
   * `bodiless`: the request declares no body, so the candidate gets the one
   * empty event without waiting for the primary to read it (a primary may
   * never ask for a body that does not exist). `length`: the declared
   * `content-length`; once that many bytes are copied the candidate's body is
   * complete, because a reader that counts (Node's parser behind a bridged
   * `req`) stops there and never asks for the closing `more: false` event.
   */
  constructor(
    private readonly upstream: Receive,
    private readonly limit: number,
    bodiless: boolean,
    private readonly length: number | undefined,
    private readonly onBodyComplete: () => void,
    private readonly onOverflow: () => void,
    private readonly onStarved: () => void,
  ) {
    if (bodiless) {
      this.copies.push({ type: 'http.request', body: new Uint8Array(0), more: false });
      this.bodyComplete = true;
    }
  }

  /** The primary's `receive`: the client's events, unchanged. */
  readonly primaryReceive: Receive = async () => {
    const event = await this.upstream();
    if (!this.bodyComplete && !this.ended) this.copy(event);
    return event;
  };

  /** The candidate's `receive`. */
  readonly candidateReceive = async (): Promise<HTTPReceiveEvent> => {
    for (;;) {
      if (this.cursor < this.copies.length) {
        const event = this.copies[this.cursor] as HTTPReceiveEvent;
        // Handed out once: the candidate owns it now, and the tee forgets it.
        this.copies[this.cursor++] = DISCONNECT;
        return event;
      }
      if (this.ended) return DISCONNECT;
      if (this.primaryDone && !this.bodyComplete) this.onStarved();
      else await new Promise<void>((resolve) => (this.wake = resolve));
    }
  };

  /** The primary settled; a candidate waiting for more body now never gets it. */
  primarySettled(): void {
    this.primaryDone = true;
    if (this.wake !== undefined && !this.bodyComplete) this.onStarved();
  }

  /** The candidate is finished with the request: pending and later reads get `http.disconnect`. */
  end(): void {
    this.ended = true;
    this.copies.length = this.cursor;
    this.wakeReader();
  }

  private copy(event: ReceiveEvent): void {
    if (event.type !== 'http.request') return;
    this.bytes += event.body.length;
    if (this.bytes > this.limit) {
      this.end();
      this.onOverflow();
      return;
    }
    const more = event.more === true && !(this.length !== undefined && this.bytes >= this.length);
    // A copy: the primary owns the buffer it received (§2.3) and may reuse it.
    this.copies.push({ type: 'http.request', body: Buffer.from(event.body), more });
    if (!more) {
      this.bodyComplete = true;
      this.onBodyComplete();
    }
    this.wakeReader();
  }

  private wakeReader(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/**
 * True when the request declares no body (RFC 9112 §6.3: neither
 * `transfer-encoding` nor a non-zero `content-length`). HTTP/2 requests may
 * carry a body without either, so they never count as bodiless.
 */
export function declaresNoBody(httpVersion: string, headers: ReadonlyArray<readonly [string, string]>): boolean {
  if (httpVersion === '2') return false;
  for (const [name, value] of headers) {
    if (name === 'transfer-encoding') return false;
    if (name === 'content-length' && value.trim() !== '0') return false;
  }
  return true;
}

/** The declared `content-length`, when there is a valid one. */
export function declaredLength(headers: ReadonlyArray<readonly [string, string]>): number | undefined {
  for (const [name, value] of headers) {
    if (name === 'content-length') {
      const n = Number(value.trim());
      return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
    }
  }
  return undefined;
}
