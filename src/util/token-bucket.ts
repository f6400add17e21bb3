/**
 * A token bucket for rate limits. Pure: the caller passes the time and owns any timer.
 * Tokens are bytes; they accrue at `rate` per second up to `burst`. A rate of 0 or
 * Infinity means unlimited.
 */
export class TokenBucket {
  private rate = 0;
  private burst = 0;
  private tokens = 0;
  private last = NaN;

  constructor(rateBytesPerSec: number, burstBytes?: number) {
    this.setRate(rateBytesPerSec, burstBytes);
    this.tokens = this.burst;
  }

  get unlimited(): boolean {
    return this.rate === 0 || this.rate === Infinity;
  }

  get bytesPerSecond(): number {
    return this.unlimited ? Infinity : this.rate;
  }

  /**
   * Changes the limit; tokens already saved are kept up to the new burst. The default
   * burst is a quarter second of rate, so timer jitter does not lose throughput and a
   * slow limit is not overshot, but at least one 16 KiB block, so a whole block can
   * always be granted at once.
   */
  setRate(rateBytesPerSec: number, burstBytes?: number): void {
    if (Number.isNaN(rateBytesPerSec) || rateBytesPerSec < 0) throw new RangeError(`bad rate ${rateBytesPerSec}`);
    if (burstBytes !== undefined && !(burstBytes > 0)) throw new RangeError(`bad burst ${burstBytes}`);
    this.rate = rateBytesPerSec;
    this.burst = burstBytes ?? Math.max(16 * 1024, rateBytesPerSec / 4);
    this.tokens = Math.min(this.tokens, this.burst);
  }

  /** Grants up to `bytes` now (all of them when unlimited); returns how many. */
  take(bytes: number, now: number): number {
    if (this.unlimited) return bytes;
    this.refill(now);
    const granted = Math.max(0, Math.min(bytes, Math.floor(this.tokens)));
    this.tokens -= granted;
    return granted;
  }

  /**
   * Takes `bytes` whether or not they are there: the bucket goes into debt, which later
   * delays pay back. For a caller that has already sent the bytes.
   */
  spend(bytes: number, now: number): void {
    if (this.unlimited) return;
    this.refill(now);
    this.tokens -= bytes;
  }

  /**
   * Milliseconds until `bytes` tokens exist (0: now). More than the burst can never be
   * there at once, so such a request waits for a full bucket and then takes it in parts.
   */
  delayFor(bytes: number, now: number): number {
    if (this.unlimited) return 0;
    this.refill(now);
    const need = Math.min(bytes, this.burst) - this.tokens;
    return need <= 0 ? 0 : Math.ceil((need * 1000) / this.rate);
  }

  private refill(now: number): void {
    if (Number.isNaN(this.last) || now < this.last) {
      // first use, or a clock that stepped back: start counting from here
      this.last = now;
      return;
    }
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
  }
}
