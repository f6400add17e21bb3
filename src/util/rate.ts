/**
 * Bytes per second over a sliding window of fixed buckets (default 5 x 1 s). Pure: the
 * caller passes the time; adding and reading are O(buckets), with no timers.
 */
export class RateMeter {
  /** Every byte ever added. */
  total = 0;
  private readonly bytes: Float64Array;
  /** Which bucket number (floor(now / bucketMs)) each slot currently holds. */
  private readonly stamps: Float64Array;
  private first = NaN;

  constructor(
    readonly windowMs = 5000,
    readonly bucketMs = 1000,
  ) {
    const n = Math.ceil(windowMs / bucketMs);
    if (!(bucketMs > 0) || !Number.isFinite(n) || n < 2) {
      throw new RangeError(`rate window ${windowMs} ms must hold at least two ${bucketMs} ms buckets`);
    }
    this.bytes = new Float64Array(n);
    this.stamps = new Float64Array(n).fill(NaN);
  }

  add(bytes: number, now: number): void {
    if (!(bytes > 0)) return;
    const k = Math.floor(now / this.bucketMs);
    const n = this.bytes.length;
    const slot = ((k % n) + n) % n;
    if (this.stamps[slot] !== k) {
      this.stamps[slot] = k;
      this.bytes[slot] = 0;
    }
    this.bytes[slot]! += bytes;
    this.total += bytes;
    if (Number.isNaN(this.first)) this.first = now;
  }

  /** Bytes per second over the window that ends at `now`. */
  rate(now: number): number {
    if (Number.isNaN(this.first)) return 0;
    const k = Math.floor(now / this.bucketMs);
    const n = this.bytes.length;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const s = this.stamps[i]!;
      if (s <= k && s > k - n) sum += this.bytes[i]!;
    }
    if (sum === 0) return 0;
    // The window is n-1 whole buckets plus the part of the current one that has passed;
    // a meter younger than that divides by its age (at least one bucket), or the first
    // seconds of a transfer would read far too low.
    const span = (n - 1) * this.bucketMs + (now - k * this.bucketMs);
    const age = Math.max(this.bucketMs, now - this.first);
    return (sum * 1000) / Math.min(span, age);
  }
}
