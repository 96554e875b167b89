/**
 * A token bucket for client stream resets: `burst` tokens, refilled at a
 * tenth of `burst` per second. Each reset takes one; none left means the
 * client is resetting faster than any real one does (CVE-2023-44487).
 */
export class ResetBucket {
  private tokens: number;
  private last = Date.now();
  private readonly ratePerMs: number;

  constructor(private readonly burst: number) {
    this.tokens = burst;
    this.ratePerMs = burst / 10 / 1000;
  }

  /** Takes a token; false when there was none. */
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.ratePerMs);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
