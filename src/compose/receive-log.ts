/**
 * Request-body replay for `cascade`: one upstream `receive`, many readers.
 *
 * Every event read from upstream is appended to a log while recording is on;
 * each reader has its own cursor, so the next app in a cascade sees the body
 * from its first byte even though an earlier app already read it. Recording
 * stops for good when the recorded body bytes pass the limit or when
 * `stop()` is called (no app after the current one can run); from then on
 * readers that reach the end of the log read upstream directly.
 */
import type { Receive, ReceiveEvent } from '../protocol/types.js';

export class ReceiveLog {
  private readonly events: ReceiveEvent[] = [];
  private bytes = 0;
  private recording = true;
  private pulling: Promise<void> | undefined;

  constructor(
    private readonly upstream: Receive,
    private readonly limit: number,
  ) {}

  /** True while everything read so far is in the log, so another app could replay it. */
  get replayable(): boolean {
    return this.recording;
  }

  /**
   * Nothing was ever read upstream (no event logged, no read in flight): an
   * app can be handed the upstream `receive` itself, with nothing to replay.
   */
  get untouched(): boolean {
    return this.events.length === 0 && this.pulling === undefined;
  }

  /** No app after the current one will run: stop recording. */
  stop(): void {
    this.recording = false;
  }

  /** A reader that replays the log from the start, then continues upstream. */
  reader(): LogReader {
    return new LogReader(this);
  }

  /** @internal */
  eventAt(position: number): ReceiveEvent | undefined {
    return this.events[position];
  }

  /** @internal */
  get length(): number {
    return this.events.length;
  }

  /** @internal Reads one event upstream into the log; concurrent callers share the read. */
  pull(): Promise<void> {
    this.pulling ??= this.upstream().then((event) => {
      this.pulling = undefined;
      // Appended even when recording just stopped: a reader is waiting for it.
      this.events.push(event);
      const body = (event as { body?: unknown }).body;
      if (body instanceof Uint8Array) this.bytes += body.length;
      if (this.bytes > this.limit) this.recording = false;
    }, this.failedPull);
    return this.pulling;
  }

  // `receive` never rejects by contract; if one does anyway, let the next pull retry.
  private readonly failedPull = (error: unknown): never => {
    this.pulling = undefined;
    throw error;
  };

  /** @internal Upstream directly, once the log no longer records. */
  passThrough(): Promise<ReceiveEvent> {
    return this.upstream();
  }
}

export class LogReader {
  private cursor = 0;
  private endEvent: ReceiveEvent | undefined;
  private detached: Promise<void> | undefined;
  private wakeDetached: (() => void) | undefined;

  constructor(private readonly log: ReceiveLog) {}

  /** The `receive` to hand to one app. */
  readonly receive: Receive = async () => {
    // The position is taken synchronously so concurrent calls keep call order.
    const position = this.cursor++;
    for (;;) {
      if (position < this.log.length) return this.log.eventAt(position) as ReceiveEvent;
      if (this.endEvent) return this.endEvent;
      if (!this.log.replayable) return this.log.passThrough();
      this.detached ??= new Promise<void>((resolve) => (this.wakeDetached = resolve));
      await Promise.race([this.log.pull(), this.detached]);
    }
  };

  /**
   * The app behind this reader declined: past the logged events it only ever
   * gets `endEvent`, so it cannot steal body from the app now answering.
   */
  detach(endEvent: ReceiveEvent): void {
    this.endEvent = endEvent;
    this.wakeDetached?.();
  }
}
